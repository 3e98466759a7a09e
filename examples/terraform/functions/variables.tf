variable "postgres_host" {
  type    = string
  default = "localhost"
}
variable "postgres_port" {
  type    = number
  default = 5432
}
variable "postgres_db" {
  type    = string
  default = "app"
}
variable "postgres_user" {
  type    = string
  default = "postgres"
}
variable "postgres_password" {
  type      = string
  default   = null
  sensitive = true
}
