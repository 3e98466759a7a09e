# A configuration written for the seeds' Sequin provider. Only the source line differs: the provider's local name,
# the resource types and every argument stay as they were.
terraform {
  required_providers {
    sequin = { source = "sluice/sluice" }
  }
}

provider "sequin" {} # SEQUIN_ENDPOINT and SEQUIN_API_KEY, as before

variable "kafka_password" {
  type      = string
  default   = "change-me"
  sensitive = true
}

resource "sequin_database" "main" {
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

resource "sequin_sink_consumer" "kafka" {
  name     = "orders-to-kafka"
  database = sequin_database.main.id

  tables = [
    { name = "public.orders", group_column_names = ["id"] },
    { name = "public.order_items" },
  ]
  actions = ["insert", "update"]

  destination = {
    type           = "kafka"
    hosts          = "kafka-1:9092,kafka-2:9092"
    topic          = "app.orders"
    tls            = true
    username       = "sluice"
    password       = var.kafka_password
    sasl_mechanism = "SCRAM-SHA-256"
  }

  batch_size       = 100
  message_grouping = true
}

resource "sequin_sink_consumer" "sqs" {
  name     = "events-to-sqs"
  database = sequin_database.main.id
  tables   = [{ name = "public.events" }]

  destination = {
    type              = "sqs"
    queue_url         = "https://sqs.us-east-1.amazonaws.com/123456789012/events"
    access_key_id     = "AKIAIOSFODNN7EXAMPLE"
    secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  }
}

resource "sequin_sink_consumer" "kinesis" {
  name     = "events-to-kinesis"
  database = sequin_database.main.name
  tables   = [{ name = "public.events", group_column_names = ["tenant_id"] }]

  destination = {
    type              = "kinesis"
    stream_arn        = "arn:aws:kinesis:us-east-1:123456789012:stream/events"
    access_key_id     = "AKIAIOSFODNN7EXAMPLE"
    secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  }
}

resource "sequin_sink_consumer" "webhook" {
  name     = "notifications-webhook"
  database = sequin_database.main.name

  source {
    include_tables = ["public.notifications"]
  }
  tables  = []
  actions = ["insert"]

  destination = {
    type               = "webhook"
    http_endpoint      = "https://hooks.example.com"
    http_endpoint_path = "/notifications"
    batch              = true
  }
}

resource "sequin_backfill" "orders" {
  sink_consumer = sequin_sink_consumer.kafka.name
  table         = "public.orders"
}
