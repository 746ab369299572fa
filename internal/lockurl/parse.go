package lockurl

import (
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// parts is a lock URL split into the pieces the schemes read. The authority
// is split by hand rather than by net/url, which refuses a list of hosts
// ("h1:2379,[::1]:2379").
type parts struct {
	raw    string
	scheme string        // lower case
	user   *url.Userinfo // nil when the URL has none
	hosts  []string      // the authority's comma-separated entries, as written
	path   string        // unescaped, with its leading "/", or ""
	query  url.Values
	base   string // raw up to its query: SCHEME://AUTHORITY/PATH
}

// split splits raw into its parts. It checks only the syntax every scheme
// shares.
func split(raw string) (parts, error) {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return parts{}, invalid(raw, "URL", strconv.Quote(redact(raw)), "must have the form SCHEME://...; schemes: "+schemeList)
	}
	p := parts{raw: raw, scheme: strings.ToLower(raw[:i])}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		u, err := url.Parse("x://" + authority[:at] + "@h")
		if err != nil || u.User == nil {
			return parts{}, invalid(raw, "user information", strconv.Quote(redact("x://" + authority[:at] + "@")[4:]),
				"must be USER[:PASSWORD], percent-encoded")
		}
		p.user, authority = u.User, authority[at+1:]
	}
	p.hosts = strings.Split(authority, ",")
	u, err := url.Parse("x://h" + tail)
	if err != nil {
		return parts{}, invalid(raw, "path", strconv.Quote(tail), "must be a valid URL path and query")
	}
	if u.Fragment != "" || strings.HasSuffix(tail, "#") {
		return parts{}, invalid(raw, "fragment", strconv.Quote("#"+u.Fragment), "is not allowed")
	}
	p.path = u.Path
	if p.query, err = url.ParseQuery(u.RawQuery); err != nil {
		return parts{}, invalid(raw, "query", strconv.Quote(u.RawQuery), "must be valid URL query syntax")
	}
	p.base = raw
	if q := strings.IndexByte(raw, '?'); q >= 0 {
		p.base = raw[:q]
	}
	return p, nil
}

// param removes the query parameter key from p.query and returns its value.
// A parameter given twice is refused; an absent one is "".
func (p *parts) param(key string) (string, error) {
	values := p.query[key]
	delete(p.query, key)
	if len(values) > 1 {
		return "", invalid(p.raw, "query parameter "+key, strconv.Quote(strings.Join(values, ", ")), "must be given once")
	}
	if len(values) == 0 {
		return "", nil
	}
	return values[0], nil
}

// noParams refuses the query parameters left in p.query, those the scheme
// does not take; takes lists the ones it does, for the error.
func (p *parts) noParams(takes string) error {
	keys := slices.Sorted(maps.Keys(p.query))
	if len(keys) == 0 {
		return nil
	}
	return invalid(p.raw, "query parameter "+keys[0], strconv.Quote(strings.Join(p.query[keys[0]], ", ")),
		"is not known to "+p.scheme+"://, which takes "+takes)
}

// noUser refuses user information, for schemes that take none.
func (p *parts) noUser() error {
	if p.user != nil {
		return invalid(p.raw, "user information", strconv.Quote(p.user.Username()+"@"), "is not taken by "+p.scheme+"://")
	}
	return nil
}

// oneHost returns p's only host, refusing a list.
func (p *parts) oneHost() (string, error) {
	if len(p.hosts) > 1 {
		return "", invalid(p.raw, "host", strconv.Quote(strings.Join(p.hosts, ",")), "must be one HOST[:PORT] for "+p.scheme+"://")
	}
	return p.hosts[0], nil
}

// endpoints returns p's hosts as HOST:PORT, with defaultPort where a host
// has none.
func (p *parts) endpoints(defaultPort string) ([]string, error) {
	out := make([]string, 0, len(p.hosts))
	for _, h := range p.hosts {
		e, err := endpoint(p.raw, h, defaultPort)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// endpoint checks one HOST[:PORT] (an IPv6 address in brackets) of raw and
// returns it as HOST:PORT, with defaultPort when it has none.
func endpoint(raw, h, defaultPort string) (string, error) {
	if h == "" {
		return "", invalid(raw, "host", `""`, "must not be empty")
	}
	host, port := h, defaultPort
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		host = h[1 : len(h)-1]
	} else if strings.Contains(h, ":") {
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			return "", invalid(raw, "host", strconv.Quote(h), "must be HOST[:PORT], an IPv6 address in brackets")
		}
	}
	if host == "" {
		return "", invalid(raw, "host", strconv.Quote(h), "must name a host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", invalid(raw, "port", strconv.Quote(port), "must be a number from 1 to 65535")
	}
	return net.JoinHostPort(host, port), nil
}

// name returns the path without its leading "/": the lock's name for most
// schemes. It must not be empty; form shows the expected URL in the error.
func (p *parts) name(form string) (string, error) {
	name := strings.TrimPrefix(p.path, "/")
	if name == "" {
		return "", invalid(p.raw, "lock name", `""`, "must be given: "+form)
	}
	return name, nil
}
