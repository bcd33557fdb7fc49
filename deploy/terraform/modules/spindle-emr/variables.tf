variable "name" {
  description = "Name prefix of every resource (lower case letters, digits and hyphens; it becomes part of the bucket names)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name))
    error_message = "name must be 3 to 24 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "sse_mode" {
  description = "Bucket encryption: \"kms\" (SSE-KMS with a key this module creates, rotated yearly) or \"s3\" (SSE-S3, AES-256 with S3-managed keys). EMR at-rest encryption always uses the module's key."
  type        = string
  default     = "kms"

  validation {
    condition     = contains(["kms", "s3"], var.sse_mode)
    error_message = "sse_mode must be \"kms\" or \"s3\"."
  }
}

variable "log_retention_days" {
  description = "Days after which objects in the logs bucket expire."
  type        = number
  default     = 90

  validation {
    condition     = var.log_retention_days >= 1 && var.log_retention_days <= 3650
    error_message = "log_retention_days must be between 1 and 3650."
  }
}

variable "staging_retention_days" {
  description = "Days after which Beam staging data (data bucket, staging/) expires. A failed run can be resumed with the same staging prefix until then."
  type        = number
  default     = 14

  validation {
    condition     = var.staging_retention_days >= 1 && var.staging_retention_days <= 3650
    error_message = "staging_retention_days must be between 1 and 3650."
  }
}

variable "noncurrent_version_days" {
  description = "Days after which non-current object versions expire in every bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets (for throw-away environments only)."
  type        = bool
  default     = false
}

variable "permissions_boundary_arn" {
  description = "Optional IAM permissions boundary attached to every role the module creates."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "subnet_id" {
  description = "Subnet of the cluster: a private subnet (no public IPs are assigned)."
  type        = string

  validation {
    condition     = can(regex("^subnet-[0-9a-f]+$", var.subnet_id))
    error_message = "subnet_id must look like subnet-0123abcd."
  }
}

variable "create_s3_endpoint" {
  description = "Create an S3 gateway endpoint on route_table_ids, so the cluster reaches S3 without a NAT gateway."
  type        = bool
  default     = true
}

variable "route_table_ids" {
  description = "Route tables of the private subnet, for the S3 gateway endpoint."
  type        = list(string)
  default     = []
}

variable "extra_egress_cidrs" {
  description = "CIDRs the cluster may reach on HTTPS besides the VPC and S3 (e.g. a NAT gateway path to other AWS APIs). Empty: VPC and S3 only, for subnets with interface endpoints."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.extra_egress_cidrs : can(cidrnetmask(c))])
    error_message = "extra_egress_cidrs must be IPv4 CIDR blocks."
  }
}

variable "create_cluster" {
  description = "Create the EMR cluster. Apply once with false (buckets, key, roles, network), stage the artifacts with spindle stage, then apply with true."
  type        = bool
  default     = false
}

variable "release_label" {
  description = "EMR release; Spindle's Beam Flink runner needs Flink 1.20, shipped by emr-7.7.0 and later."
  type        = string
  default     = "emr-7.13.0"

  validation {
    condition     = can(regex("^emr-7\\.([7-9]|[1-9][0-9])\\.[0-9]+$", var.release_label))
    error_message = "release_label must be emr-7.7.0 or later (Flink 1.20)."
  }
}

variable "master_instance_type" {
  description = "Instance type of the primary node."
  type        = string
  default     = "m5.4xlarge"
}

variable "core_instance_type" {
  description = "Instance type of the core nodes."
  type        = string
  default     = "m5.2xlarge"
}

variable "core_instance_count" {
  description = "Number of core nodes."
  type        = number
  default     = 2

  validation {
    condition     = var.core_instance_count >= 1 && var.core_instance_count <= 100
    error_message = "core_instance_count must be between 1 and 100."
  }
}

variable "ebs_volume_size_gb" {
  description = "EBS volume size of each core and task node, in GiB (gp3, encrypted by the security configuration)."
  type        = number
  default     = 128

  validation {
    condition     = var.ebs_volume_size_gb >= 32
    error_message = "ebs_volume_size_gb must be at least 32."
  }
}

variable "task_spot_instance_count" {
  description = "Spot task nodes to add (0: none)."
  type        = number
  default     = 0

  validation {
    condition     = var.task_spot_instance_count >= 0 && var.task_spot_instance_count <= 200
    error_message = "task_spot_instance_count must be between 0 and 200."
  }
}

variable "task_instance_type" {
  description = "Instance type of the spot task nodes."
  type        = string
  default     = "m5.2xlarge"
}

variable "task_spot_max_price" {
  description = "Highest hourly price paid for a spot task node, in USD, as a string (e.g. \"0.20\")."
  type        = string
  default     = "0.25"

  validation {
    condition     = can(tonumber(var.task_spot_max_price)) && tonumber(var.task_spot_max_price) > 0
    error_message = "task_spot_max_price must be a positive number in a string."
  }
}

variable "managed_scaling" {
  description = "EMR managed scaling limits, in instances (null: no managed scaling)."
  type = object({
    min_units      = number
    max_units      = number
    max_core_units = number
  })
  default = {
    min_units      = 3
    max_units      = 10
    max_core_units = 3
  }

  validation {
    condition     = var.managed_scaling == null || (var.managed_scaling.min_units >= 1 && var.managed_scaling.min_units <= var.managed_scaling.max_units && var.managed_scaling.max_core_units <= var.managed_scaling.max_units)
    error_message = "managed_scaling needs 1 <= min_units <= max_units and max_core_units <= max_units."
  }
}

variable "idle_timeout_seconds" {
  description = "The cluster terminates after this long with nothing to do (auto-termination)."
  type        = number
  default     = 1800

  validation {
    condition     = var.idle_timeout_seconds >= 60 && var.idle_timeout_seconds <= 604800
    error_message = "idle_timeout_seconds must be between 60 and 604800 (EMR's limits)."
  }
}

variable "keep_alive" {
  description = "Keep the cluster running after its steps finish (false for one-shot runs; auto-termination still applies)."
  type        = bool
  default     = false
}

variable "tls_certificates_key" {
  description = "Key, in the artifacts bucket, of the zip of PEM certificates EMR uses for in-transit encryption (see the README)."
  type        = string
  default     = "security/emr-tls-certs.zip"
}

variable "spindle_binary_key" {
  description = "Key, in the artifacts bucket, of the linux/amd64 spindle binary (printed by spindle stage)."
  type        = string
  default     = "spindle/bin/spindle"
}

variable "boot_binary_key" {
  description = "Key, in the artifacts bucket, of the Beam Go SDK boot program (printed by spindle stage)."
  type        = string
  default     = "spindle/bin/boot"
}

variable "job_server_jar_key" {
  description = "Key, in the artifacts bucket, of the Beam Flink 1.20 job server jar (beam-runners-flink-1.20-job-server)."
  type        = string
  default     = "spindle/beam/beam-runners-flink-1.20-job-server.jar"
}

variable "spec_key" {
  description = "Key, in the artifacts bucket, of the pipeline spec the cluster runs (printed by spindle stage)."
  type        = string
  default     = "spindle/specs/pipeline.yaml"
}

variable "run_prefix" {
  description = "Prefix, in the data bucket, under which each run writes its outputs."
  type        = string
  default     = "runs"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._/-]+$", var.run_prefix)) && !startswith(var.run_prefix, "/")
    error_message = "run_prefix must be a relative S3 key prefix."
  }
}

variable "run_id" {
  description = "Name of this run: outputs go to s3://<data bucket>/<run_prefix>/<run_id>/."
  type        = string
  default     = "run-1"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]+$", var.run_id))
    error_message = "run_id may hold letters, digits, dots, underscores and hyphens."
  }
}

variable "spindle_args" {
  description = "Extra arguments for spindle run (e.g. [\"--set\", \"split.seed=7\"])."
  type        = list(string)
  default     = []
}
