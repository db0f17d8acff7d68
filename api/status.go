package api

// Status is the /v1/status part of the API.
type Status struct{ c *Client }

// Status returns the status endpoints.
func (c *Client) Status() *Status { return &Status{c: c} }

// Leader returns the RPC address of the cluster leader, e.g. "127.0.0.1:6061".
func (s *Status) Leader() (string, error) {
	var out string
	if _, err := s.c.query("/v1/status/leader", nil, nil, &out); err != nil {
		return "", err
	}
	return out, nil
}

// Peers returns the Raft peers' addresses.
func (s *Status) Peers() ([]string, error) {
	var out []string
	if _, err := s.c.query("/v1/status/peers", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
