package ledger

import (
	"context"
	"fmt"

	"dsp/keys"
)

// Send signs p from s with s's next nonce (NextNonce, which counts the mempool), submits it to l
// and waits for its receipt. A transaction refused at Submit returns that error; a receipt with a
// failure code is returned together with its error (Receipt.Err). Concurrent Sends from one
// account may race for a nonce; serialize them.
func Send(ctx context.Context, l Ledger, s keys.Signer, fee uint64, p Payload) (*Receipt, error) {
	info, err := l.ChainInfo(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := l.NextNonce(ctx, s.Public().Address())
	if err != nil {
		return nil, err
	}
	tx, err := NewTx(s, info.ChainID, nonce, max(fee, info.Params.MinFee), p)
	if err != nil {
		return nil, err
	}
	h, err := l.Submit(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("submit %T: %w", p, err)
	}
	r, err := l.WaitTx(ctx, h)
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}

// CanDownload reports whether addr may download the file at height: the owner always; anyone
// for a public file; for a whitelist file, the accounts the whitelist allows at height; nobody
// else for a private file. wl may be nil when the file is not under a whitelist.
func (f *FileInfo) CanDownload(addr keys.Address, wl *WhiteList, height uint64) bool {
	switch {
	case addr == f.FileOwner || f.Privilege == PrivilegePublic:
		return true
	case f.Privilege == PrivilegeWhitelist && wl != nil:
		return wl.Allows(addr, height)
	}
	return false
}
