package roles

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"

	"dsp/keys"
	"dsp/node/client"
	"dsp/status"
)

// wallet opens the node's wallet file; create makes an empty one when there is none.
func (s *services) wallet(create bool) (*keys.Wallet, error) {
	if create {
		return keys.OpenOrCreateWallet(s.n.cfg.Wallet, s.n.cfg.WalletOptions...)
	}
	return keys.OpenWallet(s.n.cfg.Wallet, s.n.cfg.WalletOptions...)
}

// account converts a wallet account, with its ledger balance when the ledger answers.
func (s *services) account(ctx context.Context, a keys.Account) client.Account {
	out := client.Account{Address: a.Address, Label: a.Label, Scheme: a.PublicKey.Scheme.String(),
		PublicKey: hex.EncodeToString(a.PublicKey.Key), Default: a.Default, Active: a.Address == s.n.Key().Address()}
	if acct, err := s.n.led.Account(ctx, a.Address); err == nil {
		out.Balance, out.Pledged = acct.Balance, acct.Pledged
	}
	return out
}

// Accounts implements client.AccountAPI: the wallet's accounts, and the node's own account first
// when it runs from its key file rather than a wallet account. No wallet file: only that one.
func (s *services) Accounts(ctx context.Context) ([]client.Account, error) {
	s.walletMu.Lock()
	w, err := s.wallet(false)
	s.walletMu.Unlock()
	var list []keys.Account
	switch {
	case err == nil:
		list = w.Accounts()
	case !errors.Is(err, keys.ErrWalletNotExist):
		return nil, err
	}
	out := []client.Account{}
	active := false
	for _, a := range list {
		ca := s.account(ctx, a)
		active = active || ca.Active
		out = append(out, ca)
	}
	if !active {
		k := s.n.Key()
		self := s.account(ctx, keys.Account{Address: k.Address(), Label: "node key", PublicKey: k.Public()})
		out = append([]client.Account{self}, out...)
	}
	return out, nil
}

func parseScheme(name string) (keys.Scheme, error) {
	if name == "" {
		return keys.DefaultScheme, nil
	}
	sch, err := keys.ParseScheme(name)
	if err != nil {
		return 0, status.Wrap(status.InvalidParams, err, "scheme")
	}
	return sch, nil
}

// changeWallet opens (or creates) the wallet, applies fn and saves it.
func (s *services) changeWallet(fn func(w *keys.Wallet) (keys.Account, error), makeDefault bool) (keys.Account, error) {
	s.walletMu.Lock()
	defer s.walletMu.Unlock()
	w, err := s.wallet(true)
	if err != nil {
		return keys.Account{}, err
	}
	a, err := fn(w)
	if err != nil {
		return keys.Account{}, err
	}
	if makeDefault {
		if err := w.SetDefault(a.Address.String()); err != nil {
			return keys.Account{}, err
		}
	}
	if err := w.Save(); err != nil {
		return keys.Account{}, err
	}
	return w.Account(a.Address.String())
}

// runsAsWalletAccount reports whether the node's account is one of the wallet's.
func (s *services) runsAsWalletAccount() bool {
	s.walletMu.Lock()
	defer s.walletMu.Unlock()
	w, err := s.wallet(false)
	if err != nil {
		return false
	}
	_, err = w.Account(s.n.Key().Address().String())
	return err == nil
}

// adopt hands a new default account to Config.OnAdopt when the node ran as its key file (see
// Config.OnAdopt); kp is nil when the caller must unlock the account with password.
func (s *services) adopt(a keys.Account, kp *keys.KeyPair, password string, wasWallet bool) error {
	if s.n.cfg.OnAdopt == nil || wasWallet {
		return nil
	}
	if kp == nil {
		s.walletMu.Lock()
		w, err := s.wallet(false)
		if err == nil {
			kp, err = w.Unlock(a.Address.String(), password)
		}
		s.walletMu.Unlock()
		if err != nil {
			return err
		}
	}
	s.n.cfg.OnAdopt(kp)
	return nil
}

// NewAccount implements client.AccountAPI. With req.Default on a node running as its key file,
// Config.OnAdopt receives the new account.
func (s *services) NewAccount(ctx context.Context, req client.NewAccountRequest) (*client.Account, error) {
	sch, err := parseScheme(req.Scheme)
	if err != nil {
		return nil, err
	}
	wasWallet := req.Default && s.runsAsWalletAccount()
	var kp *keys.KeyPair
	a, err := s.changeWallet(func(w *keys.Wallet) (keys.Account, error) {
		a, k, err := w.NewAccount(sch, req.Label, req.Password)
		kp = k
		return a, err
	}, req.Default)
	if err != nil {
		return nil, err
	}
	if req.Default {
		if err := s.adopt(a, kp, req.Password, wasWallet); err != nil {
			return nil, err
		}
	}
	out := s.account(ctx, a)
	return &out, nil
}

// ImportAccount implements client.AccountAPI. With req.Default on a node running as its key
// file, Config.OnAdopt receives the imported account.
func (s *services) ImportAccount(ctx context.Context, req client.ImportAccountRequest) (*client.Account, error) {
	var add func(w *keys.Wallet) (keys.Account, error)
	switch {
	case len(req.Blob) > 0:
		add = func(w *keys.Wallet) (keys.Account, error) {
			return w.ImportAccount(req.Blob, req.BlobPassword, req.Label, req.Password)
		}
	case req.PrivateKey != "":
		sch, err := parseScheme(req.Scheme)
		if err != nil {
			return nil, err
		}
		priv, err := hex.DecodeString(strings.TrimSpace(req.PrivateKey))
		if err != nil {
			return nil, status.Wrap(status.InvalidParams, err, "private key: want hex")
		}
		kp, err := keys.FromPrivateBytes(sch, priv)
		if err != nil {
			return nil, status.Wrap(status.InvalidParams, err, "private key")
		}
		add = func(w *keys.Wallet) (keys.Account, error) { return w.AddKey(kp, req.Label, req.Password) }
	default:
		return nil, status.New(status.InvalidParams, "import needs privateKey or blob")
	}
	wasWallet := req.Default && s.runsAsWalletAccount()
	a, err := s.changeWallet(add, req.Default)
	if err != nil {
		return nil, err
	}
	if req.Default {
		if err := s.adopt(a, nil, req.Password, wasWallet); err != nil {
			return nil, err
		}
	}
	out := s.account(ctx, a)
	return &out, nil
}

// ExportAccount implements client.AccountAPI.
func (s *services) ExportAccount(_ context.Context, req client.ExportAccountRequest) ([]byte, error) {
	s.walletMu.Lock()
	defer s.walletMu.Unlock()
	w, err := s.wallet(false)
	if err != nil {
		return nil, err
	}
	return w.ExportAccount(req.Account, req.Password, req.BlobPassword)
}

// SetDefaultAccount implements client.AccountAPI.
func (s *services) SetDefaultAccount(_ context.Context, account string) error {
	_, err := s.changeWallet(func(w *keys.Wallet) (keys.Account, error) { return w.Account(account) }, true)
	return err
}
