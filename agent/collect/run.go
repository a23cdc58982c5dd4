package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// maxOutput bounds what is kept of a program's output: the largest real
// one (a Mac's application list) is a few megabytes, so more is a bug we
// would rather truncate than hold in memory.
const maxOutput = 64 << 20

// run executes a program and returns its standard output. The timeout
// bounds it however long the caller's context is, so a package manager
// waiting on a lock or a network never stalls the agent. A non-zero exit
// is returned as an *exec.ExitError (with the output read so far), a
// missing program as an error wrapping exec.ErrNotFound.
func run(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	return runEnv(ctx, timeout, nil, name, args...)
}

// runC runs a program in the C locale, for programs whose text we parse
// by its English words (apt, dnf, systemctl, softwareupdate).
func runC(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	return runEnv(ctx, timeout, []string{"LC_ALL=C", "LANG=C", "LANGUAGE="}, name, args...)
}

func runEnv(ctx context.Context, timeout time.Duration, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr capped
	stdout.limit, stderr.limit = maxOutput, 4<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A program that forks a child holding the pipes open must not keep
	// Wait blocked once it is killed.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil && !errors.Is(err, exec.ErrNotFound) {
		return stdout.Bytes(), fmt.Errorf("%s: %w (after %s)", name, ctx.Err(), timeout)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if msg := bytes.TrimSpace(stderr.Bytes()); len(msg) > 0 {
			return stdout.Bytes(), fmt.Errorf("%s: %w: %s", name, err, firstLine(string(msg)))
		}
	}
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", name, err)
	}
	return stdout.Bytes(), nil
}

// exitCode is the exit status of a program that ran and failed, -1 when
// err is not an exit status (the program could not start or timed out).
func exitCode(err error) int {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.Exited() {
		return exitErr.ExitCode()
	}
	return -1
}

// capped is a buffer that silently drops what comes past its limit.
type capped struct {
	bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); room < len(p) {
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}
