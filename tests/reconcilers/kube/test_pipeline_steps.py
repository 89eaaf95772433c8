"""The full deploy's stage machine (pure): table-driven."""

from dataclasses import replace
from uuid import UUID

import pytest

from reconcilers.kube.pipeline import Finish, Finished, MarkBuildRunning, Release, StartBuild, Wait, next_step
from reconcilers.kube.ports import KubePipeline, StageProgress

BASE = KubePipeline(
    id=UUID(int=1), application_id=UUID(int=2), commit_sha="abc", branch="main", image_id=UUID(int=3),
    release_id=None, deployment_id=None, build_status="running", release_status="pending", deploy_status="pending",
)
DEPLOYING = replace(BASE, release_id=UUID(int=4), deployment_id=UUID(int=5), build_status="succeeded",
                    release_status="succeeded", deploy_status="running")


@pytest.mark.parametrize(
    ("reason", "pipeline", "progress", "want"),
    [
        ("no image yet: make one", replace(BASE, image_id=None, build_status="pending"), StageProgress(), StartBuild()),
        ("image pending, stage still pending: running", replace(BASE, build_status="pending"), StageProgress(image="pending"), MarkBuildRunning()),
        ("image building: wait", BASE, StageProgress(image="pending"), Wait("build")),
        ("image failed: build failed", BASE, StageProgress(image="error", image_error="boom"), Finish("build", False, "build failed: boom")),
        ("image built: release and deploy", BASE, StageProgress(image="built"), Release()),
        ("image deleted under the pipeline", BASE, StageProgress(), Finish("build", False, "the pipeline's image was deleted")),
        ("deploying: wait", DEPLOYING, StageProgress(image="built", deployment="pending"), Wait("deploy")),
        ("deployed", DEPLOYING, StageProgress(image="built", deployment="complete"), Finish("deploy", True)),
        ("deploy failed", DEPLOYING, StageProgress(image="built", deployment="error", deployment_error="timed out"),
         Finish("deploy", False, "deploy failed: timed out")),
        ("finished: nothing more", replace(DEPLOYING, finished=True), StageProgress(), Finished()),
    ],
)
def test_next_step(reason, pipeline, progress, want):
    assert next_step(pipeline, progress) == want, reason
