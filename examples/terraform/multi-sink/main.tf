# One database, several destinations, with Sluice's own resource names.
terraform {
  required_providers {
    sluice = { source = "sluice/sluice" }
  }
}

provider "sluice" {} # SLUICE_ENDPOINT and SLUICE_API_KEY

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

resource "sluice_http_endpoint" "billing" {
  name              = "billing-api"
  url               = "https://billing.example.com"
  headers           = { "x-source" = "sluice" }
  encrypted_headers = { authorization = "Bearer replace-me" }
}

# Every table of the public schema, one request per batch to the billing API.
resource "sluice_sink_consumer" "billing" {
  name     = "everything-to-billing"
  database = sluice_database.main.name
  source {
    include_schemas = ["public"]
  }
  destination = {
    type               = "webhook"
    http_endpoint      = sluice_http_endpoint.billing.name
    http_endpoint_path = "/changes"
    batch              = true
  }
}

resource "sluice_sink_consumer" "audit" {
  name     = "orders-to-redis"
  database = sluice_database.main.name
  tables   = [{ name = "public.orders" }]
  destination = {
    type       = "redis_stream"
    host       = "redis.internal"
    port       = 6379
    stream_key = "orders"
  }
  max_retry_count = 10
}

resource "sluice_sink_consumer" "pull" {
  name     = "events-pull"
  database = sluice_database.main.name
  tables   = [{ name = "public.events" }]
  destination = {
    type = "sequin_stream"
  }
}

data "sluice_sink_consumer" "billing" {
  name = sluice_sink_consumer.billing.name
}

output "billing_sink_state" {
  value = data.sluice_sink_consumer.billing.status_info.state
}
