package tui

import (
	"testing"

	"dsp/node/client"
)

// TestProgressText: an upload's bytes (counted over every copy) are shown against size × copies,
// and a download that moved no bytes itself shows the bytes of the blocks it holds.
func TestProgressText(t *testing.T) {
	size := uint64(293 << 10)
	for _, c := range []struct {
		task client.Task
		want string
	}{
		{client.Task{Kind: "upload", State: stateDone, Size: size, Blocks: 2, Held: 2, Bytes: 2 * size,
			Upload: &client.UploadRequest{Copies: 2}}, "2/2 blocks, 586.0 KiB of 586.0 KiB (2 copies of 293.0 KiB)"},
		{client.Task{Kind: "upload", Size: size, Blocks: 2, Held: 1, Bytes: size / 2, Upload: &client.UploadRequest{Copies: 1}},
			"1/2 blocks, 146.5 KiB of 293.0 KiB"},
		{client.Task{Kind: "download", State: stateDone, Size: size, Blocks: 2, Held: 2}, "2/2 blocks, 293.0 KiB of 293.0 KiB"},
		{client.Task{Kind: "download", Size: size, Blocks: 2, Held: 1, Bytes: 1000}, "1/2 blocks, 1000 B of 293.0 KiB"},
	} {
		if got := progressText(c.task); got != c.want {
			t.Errorf("%s %+v: %q, want %q", c.task.Kind, c.task, got, c.want)
		}
	}
}

// TestUploadPathTypedAfterPrefix: an absolute path typed after the path field's pre-filled
// directory is the path uploaded.
func TestUploadPathTypedAfterPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"/home/me//tmp/f.bin":     "/tmp/f.bin",
		"/home/me/f.bin":          "/home/me/f.bin",
		"/home/me/sub/f.bin":      "/home/me/sub/f.bin",
		"/home/me///srv//x/f.bin": "/x/f.bin",
	} {
		if got := typedPath(in); got != want {
			t.Errorf("typedPath(%q) = %q, want %q", in, got, want)
		}
	}
}
