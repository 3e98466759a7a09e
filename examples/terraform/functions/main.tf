# Functions in JavaScript (Sequin's model) and a sink that names them.
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

resource "sluice_function" "paid_only" {
  name        = "paid-orders"
  description = "Only orders that are paid"
  type        = "filter"
  code        = <<-JS
    function filter(action, record, changes, metadata) {
      return record.status === "paid";
    }
  JS
}

resource "sluice_function" "slim" {
  name = "slim-order"
  type = "transform"
  code = <<-JS
    function transform(action, record, changes, metadata) {
      return { id: record.id, status: record.status, table: metadata.table_name, action: action };
    }
  JS
}

resource "sluice_function" "by_status" {
  name      = "route-by-status"
  type      = "routing"
  sink_type = "webhook"
  code      = <<-JS
    function route(action, record, changes, metadata) {
      return { method: "POST", endpoint_path: "/orders/" + record.status };
    }
  JS
}

resource "sluice_http_endpoint" "shop" {
  name = "shop-api"
  url  = "https://shop.example.com"
}

resource "sluice_sink_consumer" "paid" {
  name     = "paid-orders-to-shop"
  database = sluice_database.main.name
  tables   = [{ name = "public.orders" }]
  destination = {
    type          = "webhook"
    http_endpoint = sluice_http_endpoint.shop.name
  }
  filter    = sluice_function.paid_only.name
  transform = sluice_function.slim.name
  routing   = sluice_function.by_status.name
}
