# A sink over two tables, a backfill of each; the customers one is cancelled in place.
terraform {
  required_providers {
    sluice = { source = "sluice/sluice" }
  }
}

provider "sluice" {}

resource "sluice_database" "main" {
  name     = "app"
  hostname = var.postgres_host
  port     = var.postgres_port
  database = var.postgres_db
  username = var.postgres_user
  password = var.postgres_password
  ssl      = false
  replication_slots = [{
    publication_name = "sluice_pub"
    slot_name        = "sluice_slot"
  }]
}

resource "sluice_sink_consumer" "search" {
  name     = "search-index"
  database = sluice_database.main.name
  tables   = [{ name = "public.orders" }, { name = "public.customers" }]
  destination = {
    type = "sequin_stream"
  }
}

resource "sluice_backfill" "orders" {
  sink_consumer = sluice_sink_consumer.search.name
  table         = "public.orders"
}

resource "sluice_backfill" "customers" {
  sink_consumer = sluice_sink_consumer.search.name
  table         = "public.customers"
  state         = "cancelled"
}

output "orders_backfill" {
  value = sluice_backfill.orders.status.state
}
