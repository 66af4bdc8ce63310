package mtasts

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"
)

// maxStaticAddresses bounds an ipv4:/ipv6: target list.
const maxStaticAddresses = 64

// resolveTarget turns a gRPC target string into what grpc.DialContext takes.
// grpc-go resolves "dns:///host:port" and plain "host:port" itself; the
// "ipv4:a:p,b:p" and "ipv6:[a]:p,[b]:p" forms of gRPC's naming spec it does
// not know, so they get a resolver of their own that hands every address to
// the round_robin balancer.
func resolveTarget(target string) (string, []grpc.DialOption, error) {
	var scheme string
	switch {
	case strings.HasPrefix(target, "ipv4:"):
		scheme = "ipv4"
	case strings.HasPrefix(target, "ipv6:"):
		scheme = "ipv6"
	default:
		if target == "" {
			return "", nil, fmt.Errorf("mtasts: empty target")
		}
		return target, nil, nil
	}
	list := strings.TrimPrefix(target[len(scheme)+1:], "//")
	// "ipv4:///a:p" (empty authority) is accepted too.
	list = strings.TrimPrefix(list, "/")
	addrs, err := parseAddressList(scheme, list)
	if err != nil {
		return "", nil, err
	}
	b := &staticBuilder{scheme: scheme, addrs: addrs}
	return scheme + ":///" + list, []grpc.DialOption{
		grpc.WithResolvers(b),
		// The whole list is no host name; present the first address instead.
		grpc.WithAuthority(addrs[0].Addr),
	}, nil
}

// parseAddressList parses "a:p,b:p" (ipv4) or "[a]:p,[b]:p" (ipv6); a missing
// port is 443, as in gRPC's naming spec.
func parseAddressList(scheme, list string) ([]resolver.Address, error) {
	if list == "" {
		return nil, fmt.Errorf("mtasts: %s target without addresses", scheme)
	}
	parts := strings.Split(list, ",")
	if len(parts) > maxStaticAddresses {
		return nil, fmt.Errorf("mtasts: %s target has %d addresses, at most %d", scheme, len(parts), maxStaticAddresses)
	}
	addrs := make([]resolver.Address, 0, len(parts))
	for _, p := range parts {
		host, port, err := net.SplitHostPort(p)
		if err != nil {
			// No port: the whole part is the address.
			host, port = strings.TrimSuffix(strings.TrimPrefix(p, "["), "]"), "443"
		}
		ip := net.ParseIP(host)
		if ip == nil || (scheme == "ipv4") != (ip.To4() != nil && !strings.Contains(host, ":")) {
			return nil, fmt.Errorf("mtasts: %q is not an %s address", p, scheme)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 || port != strconv.Itoa(n) {
			return nil, fmt.Errorf("mtasts: %q has no valid port", p)
		}
		addrs = append(addrs, resolver.Address{Addr: net.JoinHostPort(host, port)})
	}
	return addrs, nil
}

// staticBuilder resolves its scheme to a fixed address list.
type staticBuilder struct {
	scheme string
	addrs  []resolver.Address
}

func (b *staticBuilder) Build(_ resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	cc.UpdateState(resolver.State{Addresses: b.addrs})
	return staticResolver{}, nil
}

func (b *staticBuilder) Scheme() string { return b.scheme }

type staticResolver struct{}

func (staticResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (staticResolver) Close()                                {}
