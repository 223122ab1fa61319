package devnet

import "fmt"

// fsPrice is the price of the FS node named name ("fs1", "fs2", ...) from Config.FSPrices; 0
// for other nodes.
func (d *Devnet) fsPrice(name string) uint64 {
	for i, p := range d.cfg.FSPrices {
		if name == fmt.Sprintf("fs%d", i+1) {
			return p
		}
	}
	return 0
}
