# The EKS cluster the platform runs on: a VPC over three zones, and three managed node groups.
# sources/platform.yaml reads the node groups from here (`nodeGroups: {terraform: infrastructure}`),
# so the validator checks the workloads against the labels, taints, instance types and sizes
# this file gives the nodes.

locals {
  azs = ["${var.region}a", "${var.region}b", "${var.region}c"]

  # One database instance per node and zone: three nodes for the three instances of a
  # production database cluster.
  database_nodes = 3

  dedicated_label = "workload-type"
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"

  name            = var.cluster_name
  cidr            = "10.0.0.0/16"
  azs             = local.azs
  private_subnets = ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
  public_subnets  = ["10.0.96.0/22", "10.0.100.0/22", "10.0.104.0/22"]

  enable_nat_gateway = true
  single_nat_gateway = false

  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = 1
  }
  public_subnet_tags = {
    "kubernetes.io/role/elb" = 1
  }
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.0"

  cluster_name    = var.cluster_name
  cluster_version = var.kubernetes_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  cluster_endpoint_public_access = true

  eks_managed_node_group_defaults = {
    ami_type = "AL2023_x86_64_STANDARD"
  }

  eks_managed_node_groups = {
    # Everything without a dedicated group: Argo CD, Traefik, cert-manager, the CloudNativePG
    # operator, Keycloak, monitoring.
    workload = {
      instance_types = ["t3.large", "t3.xlarge"]
      min_size       = 3
      max_size       = 9
      desired_size   = 3
    }

    # CloudNativePG instances only (memory-optimized); taints as a map of objects.
    database = {
      instance_types = ["r6i.large"]
      min_size       = local.database_nodes
      max_size       = 6
      desired_size   = local.database_nodes

      labels = {
        (local.dedicated_label) = "database"
      }
      taints = {
        dedicated = {
          key    = local.dedicated_label
          value  = "database"
          effect = "NO_SCHEDULE"
        }
      }
    }

    # Retool, one replica per node; taints as a list.
    large = {
      instance_types = [var.large_instance_type]
      min_size       = 1
      max_size       = 4
      desired_size   = 3

      labels = {
        "workload-type" = "large"
      }
      taints = [
        {
          key    = "workload-type"
          value  = "large"
          effect = "NO_SCHEDULE"
        }
      ]
    }
  }
}
