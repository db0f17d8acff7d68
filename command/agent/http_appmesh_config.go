package agent

import (
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"strconv"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// amConfigBackend is an agent whose log level can change live.
type amConfigBackend interface {
	LogLevel() string
	SetLogLevel(level string) error
}

// App Mesh's configuration view and merge-patch: what appmesh can change
// live is the log level (BaseConfig.LogLevel) and the labels (Labels, the
// node's meta); any other field is a 400 naming it.
func (s *HTTPServer) registerAppMeshConfigRoutes() {
	s.route("/appmesh/config", map[string]door{
		http.MethodGet:  agentAccess("read", s.amErrors(s.amConfigGet)),
		http.MethodPost: agentAccess("write", s.amErrors(s.amConfigPost)),
	})
}

func (s *HTTPServer) amConfigBackend() (amConfigBackend, error) {
	b, ok := s.backend.(amConfigBackend)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this agent cannot report its configuration"}
	}
	return b, nil
}

// GET /appmesh/config: the parts App Mesh's SDKs read, in its keys.
func (s *HTTPServer) amConfigGet(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := s.amConfigBackend()
	if err != nil {
		return nil, err
	}
	self := s.backend.Self()
	base := map[string]any{"LogLevel": b.LogLevel(), "Name": self["name"], "Datacenter": self["datacenter"]}
	cfg := map[string]any{"BaseConfig": base}
	if mb, ok := s.backend.(amNodeMetaBackend); ok {
		if meta, err := mb.NodeMeta(); err == nil {
			if meta == nil {
				meta = map[string]string{}
			}
			cfg["Labels"] = meta
		}
	}
	rest := map[string]any{"SSL": map[string]any{"SSLEnabled": r.TLS != nil}}
	if s.ln != nil {
		if host, port, err := net.SplitHostPort(s.ln.Addr().String()); err == nil {
			rest["RestListenAddress"] = host
			rest["RestListenPort"], _ = strconv.Atoi(port)
		}
	}
	cfg["REST"] = rest
	return cfg, nil
}

// POST /appmesh/config: a JSON merge patch (RFC 7396) of the view above.
// Only BaseConfig.LogLevel and Labels (a label set to null is deleted)
// change live; the whole patch is checked before anything changes.
// Changing labels also needs node:write, as PUT /appmesh/label does.
func (s *HTTPServer) amConfigPost(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := s.amConfigBackend()
	if err != nil {
		return nil, err
	}
	var patch map[string]json.RawMessage
	if err := decodeBody(w, r, &patch); err != nil {
		return nil, err
	}
	level, set, del, err := amConfigPatch(patch)
	if err != nil {
		return nil, err
	}
	if len(set)+len(del) > 0 {
		if ok, err := s.newPermChecker(r).allowed(structs.AuthorizeNode, "", "write"); err != nil || !ok {
			if err == nil {
				err = &httpError{code: http.StatusForbidden, msg: "Permission denied: changing Labels needs node:write"}
			}
			return nil, err
		}
		mb, err := s.amNodeMeta()
		if err != nil {
			return nil, err
		}
		if _, err := mb.UpdateNodeMeta(r.Context(), set, del); err != nil {
			return nil, amMetaErr(err)
		}
	}
	if level != "" {
		if err := b.SetLogLevel(level); err != nil {
			return nil, err
		}
	}
	return s.amConfigGet(w, r)
}

// amConfigPatch checks a merge patch and returns what it changes.
func amConfigPatch(patch map[string]json.RawMessage) (level string, set map[string]string, del []string, err error) {
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "BaseConfig":
			if level, err = amBaseConfigPatch(patch[k]); err != nil {
				return "", nil, nil, err
			}
		case "Labels":
			var labels map[string]*string
			if err := json.Unmarshal(patch[k], &labels); err != nil {
				return "", nil, nil, badRequest("config field \"Labels\": an object of label values (null deletes one): %v", err)
			}
			set = map[string]string{}
			for name, v := range labels {
				if v == nil {
					del = append(del, name)
				} else {
					set[name] = *v
				}
			}
		default:
			return "", nil, nil, badRequest("config field %q cannot change live in appmesh (only BaseConfig.LogLevel and Labels can)", k)
		}
	}
	return level, set, del, nil
}

func amBaseConfigPatch(raw json.RawMessage) (string, error) {
	var base map[string]json.RawMessage
	if err := json.Unmarshal(raw, &base); err != nil {
		return "", badRequest("config field \"BaseConfig\": an object: %v", err)
	}
	level := ""
	for k, v := range base {
		if k != "LogLevel" {
			return "", badRequest("config field \"BaseConfig.%s\" cannot change live in appmesh (only BaseConfig.LogLevel and Labels can)", k)
		}
		if err := json.Unmarshal(v, &level); err != nil || hclog.LevelFromString(level) == hclog.NoLevel || hclog.LevelFromString(level) == hclog.Off {
			return "", badRequest("config field \"BaseConfig.LogLevel\": a level name (TRACE, DEBUG, INFO, WARN, ERROR)")
		}
	}
	return level, nil
}
