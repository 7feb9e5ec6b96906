//! The conformance test's engine population and its call plan: a [`Scene`]
//! of containers in every state, images, networks, volumes and exec instances
//! made on one engine, and the ids each GET operation is called with.
//!
//! Everything is created through the v1.41 types, the newest version every
//! engine of the project serves (Docker 20.10 and Podman 4.3 stop there), and
//! carries the label [`SCENE_LABEL`] so that [`Scene::remove`] finds it.

use std::collections::{BTreeMap, HashMap};

use docker_engine_client::v1_41::{self, types};
use docker_engine_client::{Docker, Filters};

use crate::{BASE_IMAGE, Engine, unique_name};

/// A network create request without options (the type has no `Default`: its
/// name is required).
fn network_request() -> types::NetworkCreateRequest {
    types::NetworkCreateRequest {
        name: String::new(),
        attachable: None,
        check_duplicate: None,
        config_from: None,
        config_only: None,
        driver: None,
        enable_ipv6: None,
        ingress: None,
        internal: None,
        ipam: None,
        labels: None,
        options: None,
        scope: None,
    }
}

/// The label on everything a scene creates, with the scene's name.
pub const SCENE_LABEL: &str = "dea.test.conformance";

/// The state a container of the scene is in (what its name says).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Created,
    Running,
    Paused,
    Exited,
    Restarting,
    Healthy,
    Unhealthy,
}

impl State {
    /// Whether `GET /containers/{id}/top` can answer: the container's
    /// processes run (a paused container's processes exist, frozen).
    pub fn has_processes(self) -> bool {
        matches!(
            self,
            State::Running | State::Paused | State::Healthy | State::Unhealthy
        )
    }
}

/// One container of the scene.
#[derive(Clone, Debug)]
pub struct SceneContainer {
    pub id: String,
    /// What it shows: `created`, `exited-with-changes`, `tty`, ...
    pub role: &'static str,
    pub state: State,
}

/// What one engine was populated with.
#[derive(Debug)]
pub struct Scene {
    pub name: String,
    pub containers: Vec<SceneContainer>,
    /// Image ids and references (`name:tag`).
    pub images: Vec<String>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
    pub execs: Vec<String>,
    /// Images the scene made (removed by [`Scene::remove`]).
    made_images: Vec<String>,
}

/// A step of the population failed: which, and the daemon's answer.
fn step<T>(what: &str, engine: &Engine, result: Result<T, impl std::fmt::Display>) -> T {
    result.unwrap_or_else(|e| panic!("engine {}: {what}: {e}", engine.name))
}

impl Scene {
    /// Populates `engine`. Whatever was created is removed again when a step
    /// fails (the panic is passed on).
    pub async fn populate(engine: &Engine) -> Scene {
        let docker = engine.docker();
        let api = step("a v1.41 client", engine, docker.v1_41().await);
        let mut scene = Scene {
            name: unique_name("scene"),
            containers: Vec::new(),
            images: Vec::new(),
            networks: Vec::new(),
            volumes: Vec::new(),
            execs: Vec::new(),
            made_images: Vec::new(),
        };
        let made = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            scene.create(engine, &docker, &api),
        ))
        .await;
        if let Err(panic) = made {
            scene.remove(engine).await;
            std::panic::resume_unwind(panic);
        }
        scene
    }

    fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(SCENE_LABEL.to_string(), self.name.clone())])
    }

    async fn create(&mut self, engine: &Engine, docker: &Docker, api: &v1_41::Client) {
        let labels = self.labels();
        for i in 0..2 {
            let volume = api
                .volume_create()
                .body(types::VolumeCreateOptions {
                    name: Some(format!("{}-vol{i}", self.name)),
                    labels: Some(labels.clone()),
                    ..Default::default()
                })
                .send()
                .await;
            let volume = step("create a volume", engine, volume).into_inner();
            self.volumes.push(volume.name);
        }
        for i in 0..2 {
            let network = api
                .network_create()
                .body(types::NetworkCreateRequest {
                    name: format!("{}-net{i}", self.name),
                    labels: Some(labels.clone()),
                    internal: Some(i == 1),
                    ..network_request()
                })
                .send()
                .await;
            let network = step("create a network", engine, network).into_inner();
            self.networks
                .push(network.id.expect("a created network has an id"));
        }

        // created: never started, with limits, mounts, labels, two networks.
        let created = self
            .container(
                engine,
                api,
                "created-with-limits",
                &["sleep", "300"],
                |body| {
                    let host = body.host_config.as_mut().unwrap();
                    host.memory = Some(64 << 20);
                    host.nano_cpus = Some(500_000_000);
                    host.cpu_shares = Some(512);
                    host.pids_limit = Some(64);
                    host.network_mode = Some(format!("{}-net0", self.name));
                    host.binds = Some(vec![format!("{}-vol0:/data", self.name)]);
                    host.mounts = Some(vec![types::Mount {
                        target: Some("/more".into()),
                        source: Some(format!("{}-vol1", self.name)),
                        type_: Some(types::MountType::Volume),
                        ..Default::default()
                    }]);
                    body.env = Some(vec!["A=1".into(), "B=two".into()]);
                    body.working_dir = Some("/tmp".into());
                },
            )
            .await;
        let connect = api
            .network_connect()
            .id(&self.networks[1])
            .body(types::NetworkDisconnectRequest {
                container: Some(created.clone()),
                ..Default::default()
            })
            .send()
            .await;
        step("connect a second network", engine, connect);
        self.push(created, "created-with-limits", State::Created);

        let running = self
            .started(engine, api, "running", &["sleep", "300"], |_| {})
            .await;
        let paused = self
            .started(engine, api, "paused", &["sleep", "300"], |_| {})
            .await;
        step(
            "pause",
            engine,
            api.container_pause().id(&paused).send().await,
        );
        self.push(paused, "paused", State::Paused);

        // exited: one that wrote a file (changes), one that did not (the
        // daemon answers `null` for its changes).
        for (role, script) in [
            ("exited-with-changes", "echo x > /made; exit 3"),
            ("exited-without-changes", "exit 0"),
        ] {
            let id = self
                .started(engine, api, role, &["sh", "-c", script], |_| {})
                .await;
            let waited = api.container_wait().id(&id).send().await;
            step("wait for the exit", engine, waited);
            self.push(id, role, State::Exited);
        }

        let restarting = self
            .started(engine, api, "restarting", &["sh", "-c", "exit 1"], |body| {
                body.host_config.as_mut().unwrap().restart_policy = Some(types::RestartPolicy {
                    name: Some(types::RestartPolicyName::Always),
                    maximum_retry_count: None,
                });
            })
            .await;
        self.push(restarting, "restarting", State::Restarting);

        for (role, test, state) in [
            ("healthy", "true", State::Healthy),
            ("unhealthy", "false", State::Unhealthy),
        ] {
            let id = self
                .started(engine, api, role, &["sleep", "300"], |body| {
                    body.healthcheck = Some(types::HealthConfig {
                        test: Some(vec!["CMD".into(), test.into()]),
                        interval: Some(1_000_000_000),
                        timeout: Some(1_000_000_000),
                        retries: Some(1),
                        start_period: None,
                    });
                })
                .await;
            self.push(id, role, state);
        }

        let tty = self
            .started(engine, api, "tty", &["sh"], |body| {
                body.tty = Some(true);
                body.open_stdin = Some(true);
            })
            .await;
        self.push(tty, "tty", State::Running);

        // Exec instances: one finished, one running, one never started.
        for (cmd, start) in [
            (&["sh", "-c", "exit 2"][..], true),
            (&["sleep", "300"][..], true),
            (&["true"][..], false),
        ] {
            let exec = api
                .container_exec()
                .id(&running)
                .body(types::ExecConfig {
                    attach_stdout: Some(start),
                    attach_stderr: Some(start),
                    cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                    ..Default::default()
                })
                .send()
                .await;
            let exec = step("create an exec instance", engine, exec)
                .into_inner()
                .id;
            if start {
                let session = docker
                    .exec_start(&exec, &docker_engine_client::ExecStartOptions::default())
                    .await;
                // The running one stays running after its session is dropped.
                drop(step("start an exec instance", engine, session));
            }
            self.execs.push(exec);
        }
        self.push(running, "running", State::Running);

        // Images: the base image by name, a tag of it, and a commit with a
        // layer and a history entry of its own.
        let tag = format!("{}-tag", self.name);
        let tagged = api
            .image_tag()
            .name(BASE_IMAGE)
            .repo(&tag)
            .tag("v1")
            .send()
            .await;
        step("tag the base image", engine, tagged);
        self.made_images.push(format!("{tag}:v1"));
        let exited = self
            .containers
            .iter()
            .find(|c| c.role == "exited-with-changes");
        let committed = api
            .image_commit()
            .container(&exited.expect("the exited container").id)
            .repo(format!("{}-commit", self.name))
            .tag("v1")
            .comment("conformance")
            .body(types::ContainerConfig {
                labels: Some(labels.clone()),
                ..Default::default()
            })
            .send()
            .await;
        let committed = step("commit a container", engine, committed)
            .into_inner()
            .id;
        self.made_images.push(format!("{}-commit:v1", self.name));
        let base = api.image_inspect().name(BASE_IMAGE).send().await;
        let base = step("inspect the base image", engine, base).into_inner();
        self.images = vec![
            BASE_IMAGE.to_string(),
            base.id.expect("an image id"),
            format!("{tag}:v1"),
            committed,
        ];

        self.settle(engine, api).await;
    }

    /// Waits until the health checks have decided (Docker; Podman runs health
    /// checks from systemd timers, which this machine's Podman has not: its
    /// containers stay `starting`, which is still a state to decode).
    async fn settle(&self, engine: &Engine, api: &v1_41::Client) {
        if engine.is_podman() {
            return;
        }
        for c in &self.containers {
            let want = match c.state {
                State::Healthy => "healthy",
                State::Unhealthy => "unhealthy",
                _ => continue,
            };
            let status = crate::poll_until(
                500,
                || async {
                    let inspected = api.container_inspect().id(&c.id).send().await;
                    inspected
                        .ok()
                        .and_then(|i| i.into_inner().state)
                        .and_then(|s| s.0)
                        .and_then(|s| s.health)
                        .and_then(|h| h.0)
                        .and_then(|h| h.status)
                        .map(|s| s.to_string())
                },
                |s| s.as_deref() == Some(want),
            )
            .await;
            assert_eq!(
                status.as_deref(),
                Some(want),
                "engine {}: container {} did not become {want}",
                engine.name,
                c.role
            );
        }
    }

    fn push(&mut self, id: String, role: &'static str, state: State) {
        self.containers.push(SceneContainer { id, role, state });
    }

    async fn container(
        &self,
        engine: &Engine,
        api: &v1_41::Client,
        role: &str,
        cmd: &[&str],
        tweak: impl FnOnce(&mut types::ContainerCreateBody),
    ) -> String {
        let mut body = types::ContainerCreateBody {
            image: Some(BASE_IMAGE.into()),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            labels: Some(self.labels()),
            host_config: Some(types::HostConfig {
                network_mode: Some("none".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        tweak(&mut body);
        let created = api
            .container_create()
            .name(format!("{}-{role}", self.name))
            .body(body)
            .send()
            .await;
        step(&format!("create container {role}"), engine, created)
            .into_inner()
            .id
    }

    async fn started(
        &self,
        engine: &Engine,
        api: &v1_41::Client,
        role: &str,
        cmd: &[&str],
        tweak: impl FnOnce(&mut types::ContainerCreateBody),
    ) -> String {
        let id = self.container(engine, api, role, cmd, tweak).await;
        let started = api.container_start().id(&id).send().await;
        step(&format!("start container {role}"), engine, started);
        id
    }

    /// Removes everything the scene made, whatever state it is in.
    pub async fn remove(&self, engine: &Engine) {
        let docker = engine.docker();
        let Ok(api) = docker.v1_41().await else {
            return;
        };
        let label = format!("{SCENE_LABEL}={}", self.name);
        let containers = api
            .container_list()
            .all(true)
            .filters(Filters::new().add("label", label.as_str()))
            .send()
            .await
            .map(|l| l.into_inner())
            .unwrap_or_default();
        for c in containers.into_iter().filter_map(|c| c.id) {
            let _ = api.container_delete().id(c).force(true).send().await;
        }
        for image in &self.made_images {
            let _ = api.image_delete().name(image).force(true).send().await;
        }
        for network in &self.networks {
            let _ = api.network_delete().id(network).send().await;
        }
        for volume in &self.volumes {
            let _ = api.volume_delete().name(volume).force(true).send().await;
        }
    }

    /// The ids of the scene's objects, by kind.
    pub fn ids(&self) -> Ids {
        let mut ids = Ids::default();
        ids.add("containers", self.containers.iter().map(|c| c.id.clone()));
        ids.add("images", self.images.iter().cloned());
        ids.add("networks", self.networks.iter().cloned());
        ids.add("volumes", self.volumes.iter().cloned());
        ids.add("exec", self.execs.iter().cloned());
        ids.states = self
            .containers
            .iter()
            .map(|c| (c.id.clone(), c.state))
            .collect();
        ids
    }
}

/// The ids a GET operation's path parameter takes, by the object kind the path
/// starts with (`containers` for `/containers/{id}/json`), and the state of
/// each container.
#[derive(Debug, Default)]
pub struct Ids {
    by_kind: BTreeMap<&'static str, Vec<String>>,
    pub states: BTreeMap<String, State>,
}

impl Ids {
    pub fn add(&mut self, kind: &'static str, ids: impl IntoIterator<Item = String>) {
        self.by_kind.entry(kind).or_default().extend(ids);
    }

    /// The values a path parameter of `path` (an operation's path template)
    /// takes. `None` for an object kind without ids, which the test reports
    /// (a new operation, or one it should not call).
    pub fn for_path(&self, path: &str) -> Option<&[String]> {
        self.by_kind.get(kind_of(path)).map(Vec::as_slice)
    }
}

/// The object kind of an operation's path: its first segment.
pub fn kind_of(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// The arguments of one call: path parameter name → value.
pub type Args = BTreeMap<&'static str, String>;

/// The swarm's objects for the conformance test, made on the manager: an
/// overlay network, a secret, a config, a service of two replicas (spread
/// over both nodes) with the secret and the config, and one pinned to the
/// manager on the overlay network (tasks on an overlay network run on the
/// manager only, see `xtask/src/engine/swarm.rs`).
#[derive(Debug)]
pub struct SwarmScene {
    pub name: String,
    pub network: String,
    pub secret: String,
    pub config: String,
    pub services: Vec<String>,
}

/// A task's command: waits, and stops at once on SIGTERM.
const TASK_SCRIPT: &str = "trap 'exit 0' TERM; sleep 100000 & wait";

impl SwarmScene {
    /// Deploys on the manager and waits until every task runs; whatever was
    /// created is removed again when a step fails.
    pub async fn deploy(swarm: &crate::swarm::Swarm) -> SwarmScene {
        let docker = swarm.manager.docker();
        let api = docker.v1_41().await.expect("the manager serves v1.41");
        let mut scene = SwarmScene {
            name: unique_name("swarm-scene"),
            network: String::new(),
            secret: String::new(),
            config: String::new(),
            services: Vec::new(),
        };
        let made =
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(scene.create(&api)))
                .await;
        if let Err(panic) = made {
            scene.remove(swarm).await;
            std::panic::resume_unwind(panic);
        }
        scene
    }

    fn labels(&self) -> HashMap<String, String> {
        HashMap::from([(SCENE_LABEL.to_string(), self.name.clone())])
    }

    async fn create(&mut self, api: &v1_41::Client) {
        let labels = self.labels();
        let network = api
            .network_create()
            .body(types::NetworkCreateRequest {
                name: format!("{}-net", self.name),
                driver: Some("overlay".into()),
                attachable: Some(true),
                labels: Some(labels.clone()),
                ..network_request()
            })
            .send()
            .await
            .expect("create the overlay network");
        self.network = network.into_inner().id.expect("a network id");
        let secret = api
            .secret_create()
            .body(types::SecretSpec {
                name: Some(format!("{}-secret", self.name)),
                labels: Some(labels.clone()),
                data: Some("c2VjcmV0".into()),
                ..Default::default()
            })
            .send()
            .await
            .expect("create the secret");
        self.secret = secret.into_inner().id;
        let config = api
            .config_create()
            .body(types::ConfigSpec {
                name: Some(format!("{}-config", self.name)),
                labels: Some(labels.clone()),
                data: Some("Y29uZmln".into()),
                ..Default::default()
            })
            .send()
            .await
            .expect("create the config");
        self.config = config.into_inner().id;

        for (role, replicas, pinned) in [("replicated", 2, false), ("pinned", 1, true)] {
            let mut container = types::TaskSpecContainerSpec {
                image: Some(BASE_IMAGE.into()),
                command: Some(vec!["sh".into(), "-c".into(), TASK_SCRIPT.into()]),
                labels: Some(labels.clone()),
                ..Default::default()
            };
            let mut task = types::TaskSpec::default();
            if pinned {
                task.placement = Some(types::TaskSpecPlacement {
                    constraints: Some(vec!["node.role==manager".into()]),
                    ..Default::default()
                });
                task.networks = Some(vec![types::NetworkAttachmentConfig {
                    target: Some(self.network.clone()),
                    ..Default::default()
                }]);
            } else {
                container.secrets = Some(vec![types::TaskSpecContainerSpecSecretsItem {
                    secret_id: Some(self.secret.clone()),
                    secret_name: Some(format!("{}-secret", self.name)),
                    file: Some(types::TaskSpecContainerSpecSecretsItemFile {
                        name: Some("s".into()),
                        uid: Some("0".into()),
                        gid: Some("0".into()),
                        mode: Some(0o444),
                    }),
                }]);
                container.configs = Some(vec![types::TaskSpecContainerSpecConfigsItem {
                    config_id: Some(self.config.clone()),
                    config_name: Some(format!("{}-config", self.name)),
                    file: Some(types::TaskSpecContainerSpecConfigsItemFile {
                        name: Some("/c".into()),
                        uid: Some("0".into()),
                        gid: Some("0".into()),
                        mode: Some(0o444),
                    }),
                    ..Default::default()
                }]);
            }
            task.container_spec = Some(container);
            let spec = types::ServiceSpec {
                name: Some(format!("{}-{role}", self.name)),
                labels: Some(labels.clone()),
                mode: Some(types::ServiceSpecMode {
                    replicated: Some(types::ServiceSpecModeReplicated {
                        replicas: Some(replicas),
                    }),
                    ..Default::default()
                }),
                task_template: Some(task),
                ..Default::default()
            };
            let created = api.service_create().body(spec).send().await;
            let created = created.unwrap_or_else(|e| panic!("create service {role}: {e}"));
            self.services
                .push(created.into_inner().id.expect("a service id"));
        }

        // Every task running.
        let running = crate::poll_until(
            3000,
            || async {
                let tasks = api
                    .task_list()
                    .filters(Filters::new().add("desired-state", "running"))
                    .send()
                    .await
                    .map(|t| t.into_inner())
                    .unwrap_or_default();
                tasks
                    .iter()
                    .filter(|t| {
                        self.services
                            .contains(t.service_id.as_ref().unwrap_or(&String::new()))
                    })
                    .filter(|t| {
                        t.status.as_ref().and_then(|s| s.state.as_ref())
                            == Some(&types::TaskState::Running)
                    })
                    .count()
            },
            |n| *n == 3,
        )
        .await;
        assert_eq!(running, 3, "the swarm scene's three tasks do not run");
    }

    /// The ids of the swarm's objects by kind: both nodes, the services, every
    /// task of them, the secret, the config, and the overlay network.
    pub async fn ids(&self, swarm: &crate::swarm::Swarm) -> Ids {
        let api = swarm.manager.docker().v1_41().await.expect("v1.41");
        let tasks = api
            .task_list()
            .send()
            .await
            .expect("list tasks")
            .into_inner();
        let tasks = tasks
            .into_iter()
            .filter(|t| {
                t.service_id
                    .as_ref()
                    .is_some_and(|s| self.services.contains(s))
            })
            .filter_map(|t| t.id);
        let mut ids = Ids::default();
        ids.add(
            "nodes",
            [swarm.manager.node_id.clone(), swarm.worker.node_id.clone()],
        );
        ids.add("services", self.services.iter().cloned());
        ids.add("tasks", tasks);
        ids.add("secrets", [self.secret.clone()]);
        ids.add("configs", [self.config.clone()]);
        ids.add("networks", [self.network.clone()]);
        ids
    }

    /// Removes what the scene made and waits until its containers are gone
    /// from both nodes (an overlay network is in use until then).
    pub async fn remove(&self, swarm: &crate::swarm::Swarm) {
        let Ok(api) = swarm.manager.docker().v1_41().await else {
            return;
        };
        for id in &self.services {
            let _ = api.service_delete().id(id).send().await;
        }
        let label = format!("{SCENE_LABEL}={}", self.name);
        for node in [&swarm.manager, &swarm.worker] {
            let Ok(node_api) = node.docker().v1_41().await else {
                continue;
            };
            crate::poll_until(
                1500,
                || async {
                    node_api
                        .container_list()
                        .all(true)
                        .filters(Filters::new().add("label", label.as_str()))
                        .send()
                        .await
                        .map(|l| l.into_inner().len())
                        .unwrap_or(0)
                },
                |n| *n == 0,
            )
            .await;
        }
        if !self.secret.is_empty() {
            let _ = api.secret_delete().id(&self.secret).send().await;
        }
        if !self.config.is_empty() {
            let _ = api.config_delete().id(&self.config).send().await;
        }
        if !self.network.is_empty() {
            crate::poll_until(
                1500,
                || async { api.network_delete().id(&self.network).send().await.is_ok() },
                |removed| *removed,
            )
            .await;
        }
    }
}
