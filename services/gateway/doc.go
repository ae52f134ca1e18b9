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
// Dirigent adds, in front of those routes, the HTTP contract of the
// Dirigent control plane as the vHive/invitro loader drives it: a
// registration form that deploys a trace function, invocations named by
// their Host header over HTTP/1.1 or h2c, and async results fetched by id.
//
// Both serve HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c).
//
// The gateway decides nothing about instances or scaling. It must never
// import services/scaler, services/instance, services/clustermgr or
// wavelet/; of the registry it uses the Spec type, and deploys specs only
// through the Deployer that Dirigent is given.
package gateway
