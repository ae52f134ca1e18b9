// Package gateway is WaveLink's HTTP and CloudEvents ingress. It turns HTTP
// requests into invocation CloudEvents published on JetStream (WL_INVOKE),
// waits for the results of synchronous invocations on one reply
// subscription per gateway, and serves the stored results of asynchronous
// ones from WL_RESULT.
//
// Routes: POST /functions/{name} (plain request), POST /events/{name} and
// POST /events (CloudEvents, binary or structured mode), GET
// /results/{id}, GET /healthz and GET /metrics. Every error answer is a JSON
// object {"error": "..."} whose message names the problem.
//
// The gateway decides nothing about instances or scaling. It must never
// import services/scaler, services/instance, services/clustermgr or
// wavelet/; it depends on the registry only for the Spec type.
package gateway
