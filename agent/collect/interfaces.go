package collect

import (
	"cmp"
	"net"
	"slices"

	"github.com/tandemhq/tandem/agentproto"
)

// networkInterfaces lists the machine's network interfaces but loopback,
// which every machine has and says nothing about it. The standard
// library reads them on every OS.
func networkInterfaces() []agentproto.NetworkInterface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []agentproto.NetworkInterface
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		out = append(out, networkInterface(ifc.Name, ifc.HardwareAddr, addrs))
	}
	slices.SortFunc(out, func(a, b agentproto.NetworkInterface) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// networkInterface is one interface with its addresses in CIDR form
// ("192.0.2.10/24", "2001:db8::1/64"); an address without a mask is a
// single host (/32, /128).
func networkInterface(name string, mac net.HardwareAddr, addrs []net.Addr) agentproto.NetworkInterface {
	ni := agentproto.NetworkInterface{Name: name, MAC: mac.String()}
	for _, a := range addrs {
		switch a := a.(type) {
		case *net.IPNet:
			ni.Addresses = append(ni.Addresses, a.String())
		case *net.IPAddr:
			bits := 128
			if a.IP.To4() != nil {
				bits = 32
			}
			ni.Addresses = append(ni.Addresses, (&net.IPNet{IP: a.IP, Mask: net.CIDRMask(bits, bits)}).String())
		}
	}
	return ni
}
