job "api" {
  datacenters = ["dc1", "dc2"]
  priority    = 70
  meta = {
    owner = "team-a"
  }
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  group "api" {
    constraint { attribute = "${meta.rack}"  operator = "glob"  value = "r[12]" }
    task "api" {
      driver       = "docker"
      user         = "nobody"
      kill_timeout = "10s"
      kill_signal  = "SIGTERM"
      env {
        RACK = "${meta.rack}"
        PORT = 8080
      }
      config {
        image = "example/api:1.2"
        args  = ["--rack", "${meta.rack}", "--node=${node.unique.name}"]
        mount {
          type   = "bind"
          source = "/srv/data"
        }
        mount {
          type   = "tmpfs"
          target = "/tmp"
        }
        logging {
          type = "journald"
        }
      }
      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
