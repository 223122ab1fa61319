package faketest

import (
	"context"

	"dsp/node/client"
	"dsp/status"
)

// The fake has no payment channels: every ChannelAPI call fails with NO_DSP, as on a node
// without a channel store.

func noChannels() error {
	return status.New(status.NoDsp, "payment channels are not available on this node")
}

// Channels implements client.ChannelAPI.
func (c *Client) Channels(context.Context) (*client.ChannelList, error) { return nil, noChannels() }

// OpenChannel implements client.ChannelAPI.
func (c *Client) OpenChannel(context.Context, client.OpenChannelRequest) (*client.Channel, error) {
	return nil, noChannels()
}

// DepositChannel implements client.ChannelAPI.
func (c *Client) DepositChannel(context.Context, string, uint64) (*client.TxResult, error) {
	return nil, noChannels()
}

// CloseChannel implements client.ChannelAPI.
func (c *Client) CloseChannel(context.Context, string) (*client.TxResult, error) {
	return nil, noChannels()
}

// SettleChannel implements client.ChannelAPI.
func (c *Client) SettleChannel(context.Context, string) (*client.TxResult, error) {
	return nil, noChannels()
}

// Earnings implements client.ChannelAPI.
func (c *Client) Earnings(context.Context) (*client.Earnings, error) { return nil, noChannels() }
