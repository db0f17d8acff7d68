job "hello" {
  type = "service"
  group "web" {
    count = 2
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello; exec sleep 3600"]
      }
      resources {
        cpu    = 100   # MHz
        memory = 64    # MB
      }
    }
  }
}
