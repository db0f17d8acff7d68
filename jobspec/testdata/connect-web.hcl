job "web" {
  group "web" {
    network {
      port "http" {}
    }
    service {
      name = "web"
      port = "http"
      tags = ["v1"]
      connect {
        sidecar_service {
          proxy {
            config {
              protocol = "http"
            }
            upstreams {
              destination_name = "api"
              local_bind_port  = 8080
            }
            upstreams {
              destination_name      = "db"
              destination_namespace = "data"
              local_bind_port       = 5432
              local_bind_address    = "127.0.0.2"
            }
          }
        }
        sidecar_task {
          resources {
            cpu    = 50
            memory = 32
          }
          env {
            LOG = "debug"
          }
        }
      }
    }
    task "web" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
    }
  }
}
