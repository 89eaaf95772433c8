"""The simulated AWS account of `berth bench converge`: `berth bench resync`'s
(`controller.bench.resync_aws`: moto's server and the sandbox's ECS rollout simulator,
in their own process) with one fidelity gap of moto's closed.

moto's CreateService drops `capacityProviderStrategy` and `deploymentConfiguration`
(its UpdateService keeps them); AWS keeps both from the create. Unpatched, every new
service would be found different on its next pass and get an UpdateService that AWS
would never need — 1,000 extra calls on a bucket that refills at 5/s, a tail of
190 s that is moto's, not berth's. Here the create keeps them, as AWS does.
"""

from typing import Any


def keep_create_service_settings() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse  # sandbox dependency

    original = EC2ContainerServiceResponse.create_service
    if getattr(original, "berth_patched", False):
        return

    def create_service(self: Any) -> Any:
        answer = original(self)
        cluster = self._get_param("cluster", "default").split("/")[-1]
        service = self.ecs_backend.services[f"{cluster}:{self._get_param('serviceName')}"]
        for parameter, attribute in (
            ("capacityProviderStrategy", "capacity_provider_strategy"),
            ("deploymentConfiguration", "deployment_configuration"),
        ):
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        return answer

    # moto's response class patched in place: attributes mypy cannot see, set as such
    setattr(create_service, "berth_patched", True)
    setattr(EC2ContainerServiceResponse, "create_service", create_service)


def main() -> None:
    from controller.bench import resync_aws

    keep_create_service_settings()
    resync_aws.main()


if __name__ == "__main__":
    main()
