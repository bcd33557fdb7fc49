variable "region" {
  description = "AWS region of the deployment."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  description = "Name prefix of the deployment's resources."
  type        = string
  default     = "spindle-demo"
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet of the cluster."
  type        = string
}

variable "route_table_ids" {
  description = "Route tables of the private subnet (for the S3 gateway endpoint)."
  type        = list(string)
}

variable "create_cluster" {
  description = "Start the EMR cluster (after spindle stage has uploaded the artifacts)."
  type        = bool
  default     = false
}

variable "run_id" {
  description = "Name of the run (its outputs go under runs/<run_id>/ in the data bucket)."
  type        = string
  default     = "run-1"
}

variable "permissions_boundary_arn" {
  description = "Optional permissions boundary for the roles."
  type        = string
  default     = null
}

variable "task_spot_instance_count" {
  description = "Spot task nodes (0: none)."
  type        = number
  default     = 0
}
