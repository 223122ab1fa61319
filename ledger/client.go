package ledger

import (
	"context"

	"dsp/keys"
)

// Send sends one transaction of s's account through a Sender of its own and waits for its
// receipt (Sender.Send). It suits a one-off transaction from an account nothing else in the
// process sends from; components that share an account must share one Sender instead.
func Send(ctx context.Context, l Ledger, s keys.Signer, fee uint64, p Payload) (*Receipt, error) {
	return NewSender(l, s, fee).Send(ctx, p)
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
