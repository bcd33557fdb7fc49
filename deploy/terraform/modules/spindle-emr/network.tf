# The cluster runs in a private subnet. Security groups: EMR-managed ones
# for the primary and core/task nodes and for service access (which EMR
# requires in private subnets); no ingress from anywhere outside them, and
# egress only to the VPC, S3 (through the gateway endpoint) and
# extra_egress_cidrs.
data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_vpc_endpoint" "s3" {
  count             = var.create_s3_endpoint ? 1 : 0
  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.route_table_ids
  tags              = merge(local.tags, { Name = "${var.name}-s3" })
}

data "aws_ec2_managed_prefix_list" "s3" {
  name = "com.amazonaws.${local.region}.s3"
}

resource "aws_security_group" "primary" {
  name                   = "${var.name}-emr-primary"
  description            = "EMR primary node (rules added by EMR within the cluster's groups)"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, local.emr_tag)
}

resource "aws_security_group" "core" {
  name                   = "${var.name}-emr-core"
  description            = "EMR core and task nodes (rules added by EMR within the cluster's groups)"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, local.emr_tag)
}

resource "aws_security_group" "service_access" {
  name                   = "${var.name}-emr-service-access"
  description            = "EMR service access in a private subnet"
  vpc_id                 = var.vpc_id
  revoke_rules_on_delete = true
  tags                   = merge(local.tags, local.emr_tag)
}

resource "aws_vpc_security_group_ingress_rule" "service_access_from_primary" {
  security_group_id            = aws_security_group.service_access.id
  description                  = "EMR service access from the primary node"
  ip_protocol                  = "tcp"
  from_port                    = 9443
  to_port                      = 9443
  referenced_security_group_id = aws_security_group.primary.id
}

resource "aws_vpc_security_group_egress_rule" "service_access_to_nodes" {
  for_each                     = { primary = aws_security_group.primary.id, core = aws_security_group.core.id }
  security_group_id            = aws_security_group.service_access.id
  description                  = "EMR service access to the ${each.key} nodes"
  ip_protocol                  = "tcp"
  from_port                    = 8443
  to_port                      = 8443
  referenced_security_group_id = each.value
}

locals {
  node_groups = { primary = aws_security_group.primary.id, core = aws_security_group.core.id }
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_vpc" {
  for_each          = local.node_groups
  security_group_id = each.value
  description       = "Within the VPC (other nodes, interface endpoints)"
  ip_protocol       = "-1"
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_s3" {
  for_each          = local.node_groups
  security_group_id = each.value
  description       = "S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.s3.id
}

resource "aws_vpc_security_group_egress_rule" "nodes_extra" {
  for_each = {
    for pair in setproduct(keys(local.node_groups), var.extra_egress_cidrs) : "${pair[0]}-${pair[1]}" => { group = local.node_groups[pair[0]], cidr = pair[1] }
  }
  security_group_id = each.value.group
  description       = "HTTPS to ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value.cidr
}
