package command

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
)

// A split file in HCL, decoded like the job files (one-line blocks
// allowed, unknown arguments are errors at their file:line):
//
//	split "api" {
//	  namespace = "default"
//	  subset "v1" { tags = ["v1"]  weight = 90 }
//	  subset "v2" { job_version = 3  weight = 10 }
//	  route { path_prefix = "/beta"  headers = { "x-canary" = "1" }  subset = "v2"  retries = 2  timeout = "3s" }
//	}
//
// A .json file holds one split as the API takes it (the output of
// `appmesh mesh split info -json`), or a list of them.
type splitFileHCL struct {
	Splits []*splitHCL `hcl:"split,block"`
}

type splitHCL struct {
	Service   string       `hcl:"service,label"`
	Namespace string       `hcl:"namespace,optional"`
	Subsets   []*subsetHCL `hcl:"subset,block"`
	Routes    []*routeHCL  `hcl:"route,block"`
}

type subsetHCL struct {
	Name       string   `hcl:"name,label"`
	Tags       []string `hcl:"tags,optional"`
	JobVersion *uint64  `hcl:"job_version,optional"`
	Weight     int      `hcl:"weight"`
}

type routeHCL struct {
	PathPrefix string            `hcl:"path_prefix,optional"`
	Headers    map[string]string `hcl:"headers,optional"`
	Subset     string            `hcl:"subset"`
	Retries    int               `hcl:"retries,optional"`
	Timeout    string            `hcl:"timeout,optional"`
}

// maxSplitFileBytes bounds a split file: a few subsets and routes.
const maxSplitFileBytes = 1 << 20

// parseSplitFile reads the splits of a file and checks each one, so that
// nothing is written when any is wrong. Every problem names the file.
func parseSplitFile(path string) ([]*structs.MeshSplit, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if st.Size() > maxSplitFileBytes {
		return nil, fmt.Errorf("%s: %d bytes is too large for a split file (limit %d)", path, st.Size(), maxSplitFileBytes)
	}
	var splits []*structs.MeshSplit
	var err error
	if strings.HasSuffix(path, ".json") {
		splits, err = parseSplitJSON(path)
	} else {
		splits, err = parseSplitHCL(path)
	}
	if err != nil {
		return nil, err
	}
	if len(splits) == 0 {
		return nil, fmt.Errorf("%s: no split in the file (expected split \"<service>\" { ... })", path)
	}
	var problems []string
	for _, sp := range splits {
		if err := sp.Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("%s: split %q: %v", path, sp.Service, err))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return splits, nil
}

func parseSplitJSON(path string) ([]*structs.MeshSplit, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if trimmed := strings.TrimSpace(string(data)); strings.HasPrefix(trimmed, "[") {
		var list []*structs.MeshSplit
		if err := jobspec.StrictDecodeJSON(path, data, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	var one structs.MeshSplit
	if err := jobspec.StrictDecodeJSON(path, data, &one); err != nil {
		return nil, err
	}
	return []*structs.MeshSplit{&one}, nil
}

func parseSplitHCL(path string) ([]*structs.MeshSplit, error) {
	var f splitFileHCL
	if err := jobspec.DecodeHCLFile(path, &f); err != nil {
		return nil, err
	}
	out := make([]*structs.MeshSplit, 0, len(f.Splits))
	for _, s := range f.Splits {
		sp := &structs.MeshSplit{Namespace: s.Namespace, Service: s.Service}
		for _, sub := range s.Subsets {
			sp.Subsets = append(sp.Subsets, &structs.MeshSubset{Name: sub.Name, Tags: sub.Tags, JobVersion: sub.JobVersion, Weight: sub.Weight})
		}
		for i, r := range s.Routes {
			route := &structs.MeshRoute{PathPrefix: r.PathPrefix, Headers: r.Headers, Subset: r.Subset, Retries: r.Retries}
			if r.Timeout != "" {
				d, err := time.ParseDuration(r.Timeout)
				if err != nil {
					return nil, fmt.Errorf("%s: split %q: route %d: timeout %q is not a duration such as \"3s\"", path, s.Service, i+1, r.Timeout)
				}
				route.Timeout = structs.Duration(d)
			}
			sp.Routes = append(sp.Routes, route)
		}
		out = append(out, sp)
	}
	return out, nil
}
