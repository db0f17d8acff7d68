package consul

import (
	"context"
	"fmt"

	"github.com/hashicorp/consul/api"
)

// Key reads one KV entry for task templates; found is false when the key
// does not exist. The read may be served by any Consul server (stale), as
// templates poll and a slightly old value is corrected on the next read.
func (c *ServiceClient) Key(ctx context.Context, key string) (value string, found bool, err error) {
	opts := (&api.QueryOptions{AllowStale: true}).WithContext(ctx)
	pair, _, err := c.api.KV().Get(key, opts)
	if err != nil {
		return "", false, fmt.Errorf("consul: read key %q: %w", key, err)
	}
	if pair == nil {
		return "", false, nil
	}
	return string(pair.Value), true, nil
}
