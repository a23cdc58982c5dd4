package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestPrivileged(t *testing.T) {
	other := errors.New("disk full")
	denied := fmt.Errorf("writing /etc/x: %w", fs.ErrPermission)
	tests := []struct {
		name     string
		err      error
		wantSame bool   // the error comes back untouched
		wantMsg  string // substring of the wrapped message
	}{
		{name: "Nil", err: nil, wantSame: true},
		{name: "OtherError", err: other, wantSame: true},
		{name: "PermissionDenied", err: denied, wantMsg: "installing the service needs root (run it with sudo)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := privileged("installing the service", tt.err)
			if tt.wantSame {
				if got != tt.err {
					t.Fatalf("privileged(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if !strings.Contains(got.Error(), tt.wantMsg) || !errors.Is(got, fs.ErrPermission) {
				t.Fatalf("privileged(%v) = %v, want %q wrapping fs.ErrPermission", tt.err, got, tt.wantMsg)
			}
		})
	}
}

func TestRunCmd(t *testing.T) {
	failed := errors.New("exit status 1")
	tests := []struct {
		name       string
		reply      fakeReply
		wantErr    string // substring; empty means success
		wantDenied bool
	}{
		{name: "OK", reply: fakeReply{out: "fine"}},
		{name: "ErrWithOutput", reply: fakeReply{out: "Unit not found.\n", err: failed}, wantErr: "systemctl start x: exit status 1: Unit not found."},
		{name: "ErrWithoutOutput", reply: fakeReply{err: failed}, wantErr: "systemctl start x: exit status 1"},
		{name: "ErrAccessDenied", reply: fakeReply{out: "Failed to start x: Access denied", err: failed}, wantErr: "Access denied", wantDenied: true},
		{name: "ErrPolkit", reply: fakeReply{out: "Failed to start x: Interactive authentication required.", err: failed}, wantDenied: true},
		{name: "ErrLaunchctl", reply: fakeReply{out: "Bootstrap failed: 1: Operation not permitted", err: failed}, wantDenied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeRunner(map[string][]fakeReply{"systemctl start x": {tt.reply}})
			out, err := runCmd(context.Background(), fake.run, "systemctl", "start", "x")
			if string(out) != tt.reply.out {
				t.Errorf("output = %q, want %q", out, tt.reply.out)
			}
			if tt.reply.err == nil {
				if err != nil {
					t.Fatalf("runCmd() error = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("runCmd() error = %v, want one containing %q", err, tt.wantErr)
			}
			if got := errors.Is(err, fs.ErrPermission); got != tt.wantDenied {
				t.Errorf("errors.Is(err, fs.ErrPermission) = %v, want %v (err %v)", got, tt.wantDenied, err)
			}
		})
	}
}
