# A job in Nomad's syntax using every block and attribute of the regular
# example that `nomad job init` writes, its commented-out ones included,
# with values of its own. The artifact's source and checksum are variables
# whose defaults are the public values, so a test can serve the archive on
# loopback (-var seed_url=... -var seed_checksum=...).
variable "seed_url" {
  type    = string
  default = "https://example.com/kv/seed.tar.gz"
}

variable "seed_checksum" {
  type    = string
  default = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}

job "kv-full" {
  region      = "global"
  datacenters = ["dc1"]
  type        = "service"

  meta {
    team = "storage"
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  update {
    max_parallel      = 1
    min_healthy_time  = "5s"
    healthy_deadline  = "2m"
    progress_deadline = "8m"
    auto_revert       = true
    canary            = 0
  }

  migrate {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "5s"
    healthy_deadline = "4m"
  }

  group "kv" {
    count = 2

    network {
      port "kv" {
        to = 8080
      }
    }

    service {
      name     = "kv-store"
      tags     = ["primary", "kv"]
      port     = "kv"
      provider = "nomad"

      check {
        name     = "kv-alive"
        type     = "tcp"
        interval = "15s"
        timeout  = "3s"
      }
    }

    restart {
      attempts = 3
      interval = "20m"
      delay    = "10s"
      mode     = "fail"
    }

    ephemeral_disk {
      sticky  = true
      migrate = true
      size    = 200
    }

    affinity {
      attribute = "${node.datacenter}"
      value     = "dc1"
      weight    = 80
    }

    spread {
      attribute = "${node.datacenter}"
      weight    = 90

      target "dc1" {
        percent = 70
      }

      target "dc2" {
        percent = 30
      }
    }

    task "server" {
      driver = "docker"

      config {
        image          = "appmesh-nomad-init:short"
        ports          = ["kv"]
        auth_soft_fail = true
      }

      artifact {
        source = var.seed_url

        options {
          checksum = var.seed_checksum
        }
      }

      logs {
        max_files     = 4
        max_file_size = 8
      }

      identity {
        env  = true
        file = true
      }

      resources {
        cpu    = 250
        memory = 96
      }

      template {
        data          = "listen = {{ env \"NOMAD_PORT_kv\" }}\n"
        destination   = "local/kv.conf"
        change_mode   = "signal"
        change_signal = "SIGHUP"
      }

      template {
        data        = "seed = true\n"
        destination = "local/seed.yml"
      }

      kill_timeout = "15s"
    }
  }
}
