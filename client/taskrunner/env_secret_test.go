package taskrunner

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
)

// A task's environment is its own plus the APPMESH_* variables: nothing of
// the agent's environment, in particular not the operator's APPMESH_TOKEN
// (often a management token) that the agent was started with.
func TestTaskEnvHasNoAgentSecrets(t *testing.T) {
	t.Setenv("APPMESH_TOKEN", "agent-secret-token")
	t.Setenv("APPMESH_MANAGEMENT_TOKEN", "agent-secret-management")
	t.Setenv("AGENT_ONLY_VAR", "agent-value")
	tr, dir := newRunner(t, `env`)
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	out, err := os.ReadFile(dir.LogPath("web", allocdir.LogStdout))
	if err != nil {
		t.Fatal(err)
	}
	env := string(out)
	if !strings.Contains(env, "APPMESH_TASK_NAME=web") || !strings.Contains(env, "GREETING=hi") {
		t.Fatalf("the task's env lacks its own variables:\n%s", env)
	}
	for _, leak := range []string{"agent-secret-token", "agent-secret-management", "AGENT_ONLY_VAR", "APPMESH_TOKEN="} {
		if strings.Contains(env, leak) {
			t.Errorf("the task's env holds %q from the agent's environment:\n%s", leak, env)
		}
	}
}
