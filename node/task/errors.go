package task

import "errors"

// Sentinel errors of the package; match them with errors.Is. Errors returned to callers carry a
// spec code where one applies (status.CodeOf).
var (
	// ErrNotFound: no task with that id.
	ErrNotFound = errors.New("task not found")
	// ErrState: the operation does not apply to the task's state (pausing a finished task,
	// retrying a running one).
	ErrState = errors.New("task is not in a state for that")
	// ErrClosed: the manager is closed.
	ErrClosed = errors.New("task manager closed")
	// ErrNeedPassword: the task needs its password again (see Info.NeedPassword).
	ErrNeedPassword = errors.New("task needs its password")

	errPaused    = errors.New("paused")
	errCancelled = errors.New("cancelled")
)
