//! Every `#[non_exhaustive]` type with required members can be built from outside the
//! crate, and documents serialise without a direct `serde_json` dependency.

use oci_runtime_spec::platform::{
    FreeBsd, FreeBsdDevice, Vm, VmHypervisor, VmImage, VmIoMem, VmKernel, Windows,
    WindowsCpuAffinity, WindowsDevice,
};
use oci_runtime_spec::{
    ConsoleSize, Device, DeviceCgroup, Features, Hook, HugepageLimit, InterfacePriority,
    IoPriority, MemoryPolicy, Personality, Process, Resources, Rlimit, Root, Scheduler, Seccomp,
    Spec, State, Status, Syscall, SyscallArg, ThrottleDevice, User, WeightDevice,
};

#[test]
fn a_config_built_from_constructors_is_valid_and_round_trips() {
    let mut spec = Spec::default();
    spec.root = Some(Root::new("rootfs"));
    let mut process = Process::new(vec!["/bin/app".into()], "/srv");
    process.terminal = Some(true);
    process.console_size = Some(ConsoleSize::new(24, 80));
    process.user = Some(User::new(1000, 1000));
    process.rlimits.push(Rlimit::new("RLIMIT_NOFILE", 4096, 1024));
    process.scheduler = Some(Scheduler::new("SCHED_BATCH"));
    process.io_priority = Some(IoPriority::new("IOPRIO_CLASS_BE", 4));
    spec.process = Some(process);
    let linux = spec.linux.get_or_insert_default();
    let mut fuse = Device::new("c", "/dev/fuse");
    (fuse.major, fuse.minor) = (Some(10), Some(229));
    linux.devices.push(fuse);
    linux.memory_policy = Some(MemoryPolicy::new("MPOL_LOCAL"));
    linux.personality = Some(Personality::new("LINUX"));
    let mut seccomp = Seccomp::new("SCMP_ACT_ERRNO");
    let mut rule = Syscall::new(vec!["personality".into()], "SCMP_ACT_ALLOW");
    rule.args.push(SyscallArg::new(0, 8, "SCMP_CMP_EQ"));
    seccomp.syscalls.push(rule);
    linux.seccomp = Some(seccomp);
    let mut resources = Resources::default();
    resources.devices.push(DeviceCgroup::new(false));
    resources.hugepage_limits.push(HugepageLimit::new("2MB", 1 << 30));
    let mut block_io = oci_runtime_spec::BlockIo::default();
    let mut weight = WeightDevice::new(8, 0);
    weight.weight = Some(500);
    block_io.weight_device.push(weight);
    block_io.throttle_read_bps_device.push(ThrottleDevice::new(8, 0, 1 << 20));
    resources.block_io = Some(block_io);
    let mut network = oci_runtime_spec::Network::default();
    network.priorities.push(InterfacePriority::new("eth0", 5));
    resources.network = Some(network);
    linux.resources = Some(resources);
    spec.hooks.get_or_insert_default().poststop.push(Hook::new("/usr/bin/cleanup"));
    let mut vm = Vm::new(VmKernel::new("/boot/vmlinuz"));
    vm.hypervisor = Some(VmHypervisor::new("/usr/bin/qemu"));
    vm.image = Some(VmImage::new("/images/root.img", "raw"));
    vm.hw_config.get_or_insert_default().iomems.push(VmIoMem::new(1, 2, 3));
    spec.vm = Some(vm);
    assert!(spec.validate().is_empty(), "{:?}", spec.validate());

    let bytes = oci_runtime_spec::to_vec(&spec).unwrap();
    let mut written = Vec::new();
    oci_runtime_spec::to_writer(&mut written, &spec).unwrap();
    assert_eq!(bytes, written);
    assert_eq!(oci_runtime_spec::from_slice::<Spec>(&bytes).unwrap(), spec);
}

#[test]
fn other_platforms_state_and_features_from_constructors() {
    let mut windows = Windows::new(vec!["C:\\layers\\scratch".into()]);
    windows.devices.push(WindowsDevice::new("24E552D7-6523-47F7-A647-D3465BF1F5CA", "class"));
    windows
        .resources
        .get_or_insert_default()
        .cpu
        .get_or_insert_default()
        .affinity
        .push(WindowsCpuAffinity::new(3, 0));
    let mut freebsd = FreeBsd::default();
    freebsd.devices.push(FreeBsdDevice::new("pf"));
    assert_eq!(windows.devices[0].id_type, "class");
    assert_eq!(freebsd.devices[0].path, "pf");

    let mut state = State::new("c1", Status::Running, "/run/bundles/c1");
    assert_eq!(state.validate()[0].path, "$.pid");
    state.pid = Some(4242);
    assert!(state.validate().is_empty());
    let features = Features::new("1.0.0", oci_runtime_spec::VERSION);
    assert!(features.validate().is_empty());
    let back: Features =
        oci_runtime_spec::from_slice(&oci_runtime_spec::to_vec(&features).unwrap()).unwrap();
    assert_eq!(back, features);
}
