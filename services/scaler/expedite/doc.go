// Package expedite holds the expedited track's decisions, and the rule that
// keeps rare functions off the regular track:
//
//   - Burst: per arrival, how many emergency instances a function should
//     ask for, from its outstanding work, its concurrency per instance and
//     the instances it already has or has asked for, regular and emergency.
//   - Place: how to split those instances over the nodes whose Wavelets
//     can start them, pool entries first, then the nodes with the most free
//     slots, within each node's free slots and memory.
//   - Arrivals and Rare: a function whose mean inter-arrival time, over a
//     bounded lookback and the span actually observed, is above a threshold
//     gets no regular instances; the expedited track serves it alone.
//
// The package is pure, like services/scaler/policy: it reads no clock (now
// is passed in), does no I/O and keeps no package-level state. It must never
// import anything beyond the standard library's cmp, errors, fmt, math,
// slices, sort, strconv, strings and time (internal/layering enforces this).
package expedite
