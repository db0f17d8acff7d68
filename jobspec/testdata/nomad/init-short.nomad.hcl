# A job in Nomad's syntax using every block and attribute of the short
# example that `nomad job init -short` writes, with values of its own.
# The image is the test image e2e/nomad_init_test.go builds locally.
job "kv-short" {
  group "kv" {
    network {
      port "kv" {
        to = 8080
      }
    }

    task "server" {
      driver = "docker"

      config {
        image          = "appmesh-nomad-init:short"
        ports          = ["kv"]
        auth_soft_fail = true
      }

      identity {
        env  = true
        file = true
      }

      resources {
        cpu    = 200
        memory = 64
      }
    }
  }
}
