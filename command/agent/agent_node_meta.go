package agent

import "context"

// NodeMeta is the meta of this agent's node (App Mesh's labels).
func (a *Agent) NodeMeta() (map[string]string, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	return a.client.NodeMeta(), nil
}

// UpdateNodeMeta changes this agent's node meta and tells the servers
// (client.UpdateNodeMeta).
func (a *Agent) UpdateNodeMeta(ctx context.Context, set map[string]string, del []string) (map[string]string, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	return a.client.UpdateNodeMeta(ctx, set, del)
}
