package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// helperEnv carries the arguments of a CLI run in a child process (a JSON array).
const helperEnv = "DSP_TEST_HELPER_ARGS"

// TestHelperProcess is not a test: it is the child process of startCLI, running the CLI with the
// arguments in $DSP_TEST_HELPER_ARGS and exiting with its code.
func TestHelperProcess(t *testing.T) {
	env := os.Getenv(helperEnv)
	if env == "" {
		t.Skip("helper process only")
	}
	var args []string
	if err := json.Unmarshal([]byte(env), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(args))
}

// child is a CLI run in a child process (the test binary re-executed), so that signals reach it
// alone and its flags and globals are its own.
type child struct {
	cmd      *exec.Cmd
	out, err bytes.Buffer
	done     chan struct{}
	code     int
}

// startCLI runs the CLI with args in a child process. The test's cleanup kills it if it still
// runs.
func startCLI(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	b, _ := json.Marshal(args)
	c.cmd.Env = append(os.Environ(), helperEnv+"="+string(b))
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.err
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		c.code = c.cmd.ProcessState.ExitCode()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// stop sends SIGTERM and waits (up to a minute, for loaded machines) for the child to exit.
func (c *child) stop(t *testing.T) (stdout, stderr string, code int) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		t.Fatalf("%v did not stop on SIGTERM; stderr:\n%s", c.cmd.Args, c.err.String())
	}
	return c.out.String(), c.err.String(), c.code
}

// exited reports whether the child has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
