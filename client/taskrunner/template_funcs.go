package taskrunner

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/appmesh/appmesh/client/consul"
)

// templateLookupTimeout bounds one Consul read made by a template.
const templateLookupTimeout = 10 * time.Second

// errNoConsul is the error of a Consul function on a client without the
// Consul integration.
var errNoConsul = errors.New("the Consul integration is not enabled on this client (agent consul block)")

// templateFuncs returns the functions a template may call. Consul reads set
// *dynamic, so that the template is watched for changes while the task
// runs. strict makes a missing Consul key an error instead of "".
func templateFuncs(ctx context.Context, in *templateInput, strict bool, dynamic *bool) template.FuncMap {
	f := &tmplFuncs{ctx: ctx, in: in, strict: strict, dynamic: dynamic}
	return template.FuncMap{
		"env":          f.env,
		"key":          f.key,
		"keyOrDefault": f.keyOrDefault,
		"service":      f.service,
		"nomadService": f.nomadService,
		"toUpper":      strings.ToUpper,
		"toLower":      strings.ToLower,
		"trimSpace":    strings.TrimSpace,
		"split":        func(sep, s string) []string { return strings.Split(s, sep) },
		"join":         func(sep string, parts []string) string { return strings.Join(parts, sep) },
		"contains":     func(sub, s string) bool { return strings.Contains(s, sub) },
		"replaceAll":   func(from, to, s string) string { return strings.ReplaceAll(s, from, to) },
		"parseInt":     func(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) },
		"parseFloat":   func(s string) (float64, error) { return strconv.ParseFloat(strings.TrimSpace(s), 64) },
		"parseBool":    func(s string) (bool, error) { return strconv.ParseBool(strings.TrimSpace(s)) },
		"toJSON":       toJSON,
	}
}

type tmplFuncs struct {
	ctx     context.Context
	in      *templateInput
	strict  bool
	dynamic *bool
}

// env returns a variable of the task's environment or, as in Nomad, a node
// variable: node.unique.id, node.unique.name, node.datacenter, attr.<name>
// and meta.<name> (the node's meta). Missing names are "".
func (f *tmplFuncs) env(name string) string {
	if v, ok := f.in.env[name]; ok {
		return v
	}
	v, _ := nodeVariable(f.in, name)
	return v
}

func nodeVariable(in *templateInput, name string) (string, bool) {
	if in.node == nil {
		return "", false
	}
	return in.node.Variable(name)
}

// lookupKey reads a Consul key; a Consul that cannot be reached is an
// errConsulLookup, which the first render retries.
func (f *tmplFuncs) lookupKey(path string) (string, bool, error) {
	if f.in.consul == nil {
		return "", false, errNoConsul
	}
	*f.dynamic = true
	ctx, cancel := context.WithTimeout(f.ctx, templateLookupTimeout)
	defer cancel()
	v, found, err := f.in.consul.Key(ctx, strings.TrimPrefix(path, "/"))
	if err != nil {
		return "", false, fmt.Errorf("%w: %v", errConsulLookup, err)
	}
	return v, found, nil
}

// key is a Consul key's value; a missing key is "" (an error with
// error_on_missing_key).
func (f *tmplFuncs) key(path string) (string, error) {
	v, found, err := f.lookupKey(path)
	if err != nil {
		return "", err
	}
	if !found && f.strict {
		return "", fmt.Errorf("consul key %q does not exist (error_on_missing_key = true)", path)
	}
	return v, nil
}

func (f *tmplFuncs) keyOrDefault(path, def string) (string, error) {
	v, found, err := f.lookupKey(path)
	if err != nil {
		return "", err
	}
	if !found {
		return def, nil
	}
	return v, nil
}

// service returns the healthy instances of a Consul service, sorted by
// address and port. "tag.name" selects instances carrying the tag.
func (f *tmplFuncs) service(query string) ([]consul.Instance, error) {
	if f.in.consul == nil {
		return nil, errNoConsul
	}
	return f.healthy(f.in.consul, query)
}

// errNoCatalog is nomadService's error on a runner without the built-in
// catalog (not expected on a real client: every client has one).
var errNoCatalog = errors.New("the built-in service catalog is not available to this task")

// nomadService returns the passing instances of a service of the built-in
// catalog (provider = "appmesh" or "nomad") in the task's namespace, sorted
// by address and port, as Nomad's nomadService does; "tag.name" selects
// instances carrying the tag. Nomad's two- and three-argument forms
// (sharding by a key) are not offered: text/template then reports the
// wrong number of arguments.
func (f *tmplFuncs) nomadService(query string) ([]consul.Instance, error) {
	if f.in.catalog == nil {
		return nil, errNoCatalog
	}
	return f.healthy(f.in.catalog, query)
}

// healthy is the lookup behind service and nomadService: it marks the
// template as one to re-render on change, splits "tag.name", asks source
// within templateLookupTimeout, and sorts the answer by address and port.
// A source that cannot be reached is errConsulLookup, retried like Consul.
func (f *tmplFuncs) healthy(source ServiceDiscovery, query string) ([]consul.Instance, error) {
	*f.dynamic = true
	name, tag := query, ""
	if t, n, ok := strings.Cut(query, "."); ok {
		tag, name = t, n
	}
	ctx, cancel := context.WithTimeout(f.ctx, templateLookupTimeout)
	defer cancel()
	inst, _, err := source.Healthy(ctx, name, tag, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errConsulLookup, err)
	}
	slices.SortFunc(inst, func(a, b consul.Instance) int {
		return cmp.Or(strings.Compare(a.Address, b.Address), cmp.Compare(a.Port, b.Port))
	})
	return inst, nil
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
