package registry

import "slices"

// BuiltinNames returns the names of the functions compiled into the wavelink
// binary.
func BuiltinNames() []string { return []string{"echo", "trace"} }

// IsBuiltin reports whether name is a built-in function.
func IsBuiltin(name string) bool { return slices.Contains(BuiltinNames(), name) }
