package policy

import "time"

// Poke handles an arrival for a function between steps, the activator's
// path: when the state's desired count is zero it asks for one instance at
// once (or MinInstances, if higher) and returns the new desired count and
// state; otherwise it returns the current count and the state unchanged.
// The arrival counts as work, so the next Decide keeps the instance for at
// least the scale-to-zero grace. The State passed in is not modified. It
// returns an error wrapping ErrInvalidLimits for limits it cannot use.
func Poke(st State, now time.Time, lim Limits) (int, State, error) {
	if err := lim.Validate(); err != nil {
		return st.desired, st, err
	}
	if st.desired > 0 {
		return st.desired, st, nil
	}
	st.started = true
	st.desired = min(max(1, lim.MinInstances), lim.MaxInstances)
	st.lastWork = now
	return st.desired, st, nil
}
