package node

import (
	"context"
	"testing"
	"time"
)

// TestEventsEndWhenNodeCloses: an in-process Events stream is closed when the node closes (as
// client.NodeAPI.Events promises), and a stream asked for after Close is closed at once.
func TestEventsEndWhenNodeCloses(t *testing.T) {
	n := openNode(t, t.TempDir())
	ch, err := Local(n).Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n.Publish("test", 1)
	if ev := <-ch; ev.Type != "test" {
		t.Fatalf("event %+v", ev)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				after, err := Local(n).Events(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := <-after; ok {
					t.Fatal("a stream opened after Close delivers events")
				}
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the Events stream is still open after Close")
		}
	}
}
