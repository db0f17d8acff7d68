package drivers

import "errors"

// ErrTaskNotFound is wrapped by errors about a task id the driver does not
// know (never started, or destroyed). It survives the plugin boundary: the
// plugin client re-wraps it, so errors.Is works on both sides.
var ErrTaskNotFound = errors.New("task not found")
