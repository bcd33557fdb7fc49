# Example root: a Spindle deployment that runs one spec on EMR (Flink +
# Beam job server). State lives in the S3 bucket made by ../../state,
# configured at init:
#
#   tofu init -backend-config=backend.hcl
#
# with backend.hcl holding bucket, key, region (see backend.hcl.example).
terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { "spindle:managed-by" = "terraform" }
  }
}

module "spindle" {
  source = "../../modules/spindle-emr"

  name                     = var.name
  vpc_id                   = var.vpc_id
  subnet_id                = var.subnet_id
  route_table_ids          = var.route_table_ids
  create_cluster           = var.create_cluster
  run_id                   = var.run_id
  permissions_boundary_arn = var.permissions_boundary_arn
  task_spot_instance_count = var.task_spot_instance_count
}
