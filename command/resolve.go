package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// maxAmbiguousShown bounds the matches listed for an ambiguous ID prefix.
const maxAmbiguousShown = 10

// resolveAlloc finds an allocation by full ID or unique ID prefix.
func resolveAlloc(client *api.Client, idOrPrefix string) (*structs.Allocation, error) {
	stubs, _, err := client.Allocations().List(&api.QueryOptions{Prefix: idOrPrefix})
	if err != nil {
		return nil, fmt.Errorf("Error querying allocations: %w", err)
	}
	var ids []string
	for _, s := range stubs {
		if s.ID == idOrPrefix {
			ids = []string{s.ID}
			break
		}
		// The agent filters by prefix; filter again in case it did not.
		if strings.HasPrefix(s.ID, idOrPrefix) {
			ids = append(ids, s.ID)
		}
	}
	id, err := uniqueMatch("allocation", idOrPrefix, ids)
	if err != nil {
		return nil, err
	}
	alloc, _, err := client.Allocations().Info(id, nil)
	if err != nil {
		return nil, fmt.Errorf("Error querying allocation %q: %w", id, err)
	}
	return alloc, nil
}

// resolveNode finds a node by full ID, unique ID prefix or exact name.
func resolveNode(client *api.Client, idOrPrefix string) (*structs.Node, error) {
	stubs, _, err := client.Nodes().List(nil)
	if err != nil {
		return nil, fmt.Errorf("Error querying nodes: %w", err)
	}
	var ids []string
	for _, s := range stubs {
		if s.ID == idOrPrefix || s.Name == idOrPrefix {
			ids = []string{s.ID}
			break
		}
		if strings.HasPrefix(s.ID, idOrPrefix) {
			ids = append(ids, s.ID)
		}
	}
	id, err := uniqueMatch("node", idOrPrefix, ids)
	if err != nil {
		return nil, err
	}
	node, _, err := client.Nodes().Info(id, nil)
	if err != nil {
		return nil, fmt.Errorf("Error querying node %q: %w", id, err)
	}
	return node, nil
}

func uniqueMatch(kind, prefix string, ids []string) (string, error) {
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("No %s with ID or prefix %q", kind, prefix)
	case 1:
		return ids[0], nil
	}
	shown := ids[:min(len(ids), maxAmbiguousShown)]
	more := ""
	if len(ids) > len(shown) {
		more = fmt.Sprintf("\n  ... and %d more", len(ids)-len(shown))
	}
	return "", fmt.Errorf("Prefix %q matches %d %ss; give more characters:\n  %s%s",
		prefix, len(ids), kind, strings.Join(shown, "\n  "), more)
}
