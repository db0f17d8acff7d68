job "api" {
  datacenters = ["dc1", "dc2"]
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  group "api" {
    constraint { attribute = "${meta.rack}"  operator = "glob"  value = "r[12]" }
    network {
      port "http" { static = 8080 }
      port "admin" {}
    }
    service {
      name = "api"
      port = "http"
      check { type = "http"  path = "/health"  interval = "5s"  timeout = "1s" }
    }
    task "api" {
      driver = "docker"
      user   = "nobody"
      kill_timeout = "10s"
      env {
        RACK = "${meta.rack}"
        PORT = 8080
      }
      config {
        image = "example/api:1.2"
        ports = ["http"]
      }
    }
  }
}
