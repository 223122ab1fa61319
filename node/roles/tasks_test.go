package roles

import (
	"testing"

	"dsp/keys"
	"dsp/node/task"
)

// taskOf carries a download's payments: each holder's price and amount and the total (the task
// and client types share their JSON names).
func TestTaskOfCarriesPayments(t *testing.T) {
	var a, b keys.Address
	a[0], b[0] = 1, 2
	in := task.Info{ID: "t1", Kind: task.KindDownload, Paid: 30, Peers: []task.PeerProgress{
		{Account: a, Held: 3, Bytes: 10, Price: 3, Paid: 30}, {Account: b, Held: 1, Bytes: 4}}}
	got := taskOf(in)
	if got.Paid != 30 || len(got.Peers) != 2 || got.Peers[0].Account != a || got.Peers[0].Price != 3 || got.Peers[0].Paid != 30 ||
		got.Peers[1].Price != 0 || got.Peers[1].Paid != 0 {
		t.Fatalf("taskOf: %+v", got)
	}
}
