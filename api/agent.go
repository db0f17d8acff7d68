package api

// Agent is the /v1/agent part of the API.
type Agent struct{ c *Client }

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c: c} }

// Self returns the agent's own configuration and member information. Its
// shape depends on the agent's role, hence the generic map.
func (a *Agent) Self() (map[string]any, error) {
	var out map[string]any
	if _, err := a.c.query("/v1/agent/self", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
