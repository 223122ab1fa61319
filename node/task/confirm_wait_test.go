package task

import (
	"context"
	"testing"
	"time"

	"dsp/ledger"
)

// slashedView is the ledger as the uploader sees it after its first confirmed contract missed a
// proof: that contract reads as failed (its start height stays).
type slashedView struct {
	ledger.Ledger
}

func (v slashedView) Contracts(ctx context.Context, fileHash []byte) ([]ledger.Contract, error) {
	cs, err := v.Ledger.Contracts(ctx, fileHash)
	for i := range cs {
		if cs[i].StartHeight != 0 {
			cs[i].State = ledger.ContractFailed
			break
		}
	}
	return cs, err
}

// TestUploadDoneWhenAContractFailsAfterConfirming: an upload is done once every primary node has
// confirmed, even if one of the contracts failed (a missed proof) before the last node confirmed;
// it used to wait for every contract to be active at once and timed out under load.
func TestUploadDoneWhenAContractFailsAfterConfirming(t *testing.T) {
	w := newWorld(t, memNet(), 2)
	alice := w.newClient("alice", func(c *Config) {
		c.Ledger = slashedView{c.Ledger}
		c.ConfirmTimeout = 5 * time.Second
	})
	in, _ := randomFile(t, w.dir, 3<<18, 7)
	id, err := alice.m.Upload(ctxT(t, 5*time.Second), UploadRequest{Path: in, Copies: 2, ProveInterval: 10, Privilege: ledger.PrivilegePublic})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, alice.m, id, Done)
}
