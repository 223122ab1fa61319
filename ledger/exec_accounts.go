package ledger

import (
	"dsp/status"
)

func (e *env) transfer(p *Transfer) error {
	if p.To.IsZero() {
		return status.New(status.InvalidWalletAddress, "transfer to the zero address")
	}
	if p.Amount == 0 {
		return invalid("transfer of 0")
	}
	if err := e.debit(e.sender, p.Amount, "transfer"); err != nil {
		return err
	}
	e.credit(p.To, p.Amount)
	return nil
}

func (e *env) pledge(p *Pledge) error {
	if p.Amount == 0 {
		return invalid("pledge of 0")
	}
	if err := e.debit(e.sender, p.Amount, "pledge"); err != nil {
		return err
	}
	acc := e.account(e.sender)
	acc.Pledged += p.Amount
	e.putAccount(e.sender, acc)
	return nil
}

func (e *env) unlock(p *Unlock) error {
	acc := e.account(e.sender)
	if p.Amount == 0 || p.Amount > acc.Pledged {
		return status.Wrap(status.InsufficientBalance, ErrInsufficient, "unlock %d, %s has %d pledged", p.Amount, e.sender, acc.Pledged)
	}
	acc.Pledged -= p.Amount
	acc.Balance += p.Amount
	e.putAccount(e.sender, acc)
	return nil
}
