package node

import (
	"context"
	"sync"
	"time"

	"dsp/node/client"
)

// eventBus fans events out to subscribers. A subscriber that does not keep up loses events.
type eventBus struct {
	mu   sync.Mutex
	subs map[chan client.Event]struct{}
}

func newEventBus() *eventBus { return &eventBus{subs: map[chan client.Event]struct{}{}} }

// subscribe returns a channel of events, closed once ctx ends.
func (b *eventBus) subscribe(ctx context.Context) <-chan client.Event {
	ch := make(chan client.Event, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		close(ch)
		b.mu.Unlock()
	})
	return ch
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
		Address: p.Account(), URL: p.URL(), Dialed: p.Dialed(),
		RTTMs: float64(p.RTT().Microseconds()) / 1000, BytesIn: in, BytesOut: out, Since: p.Since().UTC(),
	}
}
