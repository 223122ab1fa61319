package faketest

import (
	"context"

	"dsp/node/client"
	"dsp/status"
)

// CoopCloseChannel implements client.ChannelAPI: the fake's partners always agree, so an open or
// closing channel settles at once and pays the active account its deposit plus what it received
// minus what it sent (the partner the rest), as a node's cooperative close does. A partner whose
// account is Addr(63) is never reachable (NET_RECONNECT_PEER_FAILED), for testing that message.
func (c *Client) CoopCloseChannel(_ context.Context, id string, req client.CoopCloseRequest) (*client.CoopCloseResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enter("CoopCloseChannel"); err != nil {
		return nil, err
	}
	ch, err := c.channel("cooperative close", id)
	if err != nil {
		return nil, err
	}
	switch {
	case ch.State == "settled":
		return nil, status.New(status.TaskPrepareChannelError, "cooperative close: channel %s is settled", id)
	case ch.Partner == Addr(63):
		return nil, status.New(status.NetReconnectPeerFailed,
			"cooperative close of channel %s: the partner's node is not reachable; close it unilaterally instead (dsp channel close %s)", id, id)
	}
	total := ch.Deposit + ch.PartnerDeposit
	paid := min(total, (ch.Deposit+ch.Received)-min(ch.Deposit+ch.Received, ch.Sent))
	if a := c.active(); a != nil {
		a.Balance += paid
	}
	ch.State, ch.SettleHeight, ch.PaidOut, ch.Available = "settled", 0, paid, 0
	return &client.CoopCloseResult{TxResult: *c.tx(), Paid: paid, PartnerPaid: total - paid}, nil
}
