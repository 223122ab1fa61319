package node

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"dsp/node/client"
)

// eventBus fans events out to subscribers. A subscriber that does not keep up loses events.
// close ends every subscription; a later subscribe gets a channel already closed.
type eventBus struct {
	mu     sync.Mutex
	subs   map[chan client.Event]struct{}
	closed bool
}

func newEventBus() *eventBus { return &eventBus{subs: map[chan client.Event]struct{}{}} }

// subscribe returns a channel of events, closed once ctx ends or the bus closes.
func (b *eventBus) subscribe(ctx context.Context) <-chan client.Event {
	ch := make(chan client.Event, 64)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return ch
	}
	b.subs[ch] = struct{}{}
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[ch]; ok {
			delete(b.subs, ch)
			close(ch)
		}
	})
	return ch
}

// close closes every subscriber's channel (the node stops).
func (b *eventBus) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

func (b *eventBus) publish(typ string, data any) {
	ev := client.Event{Type: typ, Time: time.Now().UTC(), Data: data}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// peerEvents is the component that turns connects and disconnects into events.
type peerEvents struct {
	BaseComponent
	bus *eventBus
}

func (e peerEvents) PeerConnect(p *Peer)    { e.bus.publish(client.EventPeerConnected, peerInfo(p)) }
func (e peerEvents) PeerDisconnect(p *Peer) { e.bus.publish(client.EventPeerDisconnected, peerInfo(p)) }

func peerInfo(p *Peer) client.PeerInfo {
	in, out := p.Traffic()
	return client.PeerInfo{
		Address: p.Account(), Key: hex.EncodeToString(p.id.NetKey), URL: p.URL(), Dialed: p.Dialed(),
		RTTMs: float64(p.RTT().Microseconds()) / 1000, BytesIn: in, BytesOut: out, Since: p.Since().UTC(),
	}
}
